# Multi-stage build: a static binary on a distroless base, running as non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ehrd ./cmd/ehrd && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ehrctl ./cmd/ehrctl

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ehrd /out/ehrctl /usr/local/bin/
USER nonroot:nonroot
WORKDIR /home/nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ehrd"]
