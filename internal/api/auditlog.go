package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/fhirerr"
)

func (s *Server) checkpoint(k *call) response {
	if s.cfg.Signer == nil {
		return errResponse(fhirerr.New(fhirerr.NotAllowed, "no checkpoint signing key is configured"))
	}
	b, err := audit.Checkpoint(k.ctx, s.eng.Store(), s.cfg.Signer)
	if err != nil {
		return errResponse(fhirerr.Wrap(fhirerr.Unavailable, err, "cannot produce a checkpoint"))
	}
	return response{status: http.StatusOK, body: b, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}}
}

func (s *Server) inclusionProof(k *call) response {
	index, err1 := queryInt(k, "index")
	size, err2 := queryInt(k, "size")
	if err1 != nil || err2 != nil || index < 0 || size <= index {
		return errResponse(fhirerr.New(fhirerr.Invalid, "give index and size with 0 <= index < size"))
	}
	proof, err := audit.InclusionProof(k.ctx, s.eng.Store(), index, size)
	if err != nil {
		return errResponse(fhirerr.Wrap(fhirerr.Invalid, err, "no inclusion proof for index %d in a tree of size %d", index, size))
	}
	return proofResponse(proof)
}

func (s *Server) consistencyProof(k *call) response {
	old, err1 := queryInt(k, "old")
	nw, err2 := queryInt(k, "new")
	if err1 != nil || err2 != nil || old < 1 || nw < old {
		return errResponse(fhirerr.New(fhirerr.Invalid, "give old and new with 1 <= old <= new"))
	}
	proof, err := audit.ConsistencyProof(k.ctx, s.eng.Store(), old, nw)
	if err != nil {
		return errResponse(fhirerr.Wrap(fhirerr.Invalid, err, "no consistency proof from %d to %d", old, nw))
	}
	return proofResponse(proof)
}

func queryInt(k *call, name string) (int64, error) {
	return strconv.ParseInt(k.c.Query(name), 10, 64)
}

// proofResponse renders tlog proof hashes as {"proof": ["base64…"]}.
func proofResponse[H ~[32]byte](proof []H) response {
	out := struct {
		Proof []string `json:"proof"`
	}{Proof: make([]string, 0, len(proof))}
	for _, h := range proof {
		b := [32]byte(h)
		out.Proof = append(out.Proof, base64.StdEncoding.EncodeToString(b[:]))
	}
	body, _ := json.Marshal(out)
	return response{status: http.StatusOK, body: body, header: http.Header{"Content-Type": {"application/json"}}}
}
