package auth

// maxTokenLen bounds accepted tokens; real access tokens are far smaller, and
// the bound keeps all later work on a token cheap.
const maxTokenLen = 8 << 10

// precheck refuses obvious garbage before any decoding: over-long input,
// anything but three non-empty base64url segments. It touches each byte at
// most once and stops at the first fault, so hostile input costs nothing.
// An empty signature (as in alg "none") is refused here too.
func precheck(raw string) error {
	if len(raw) > maxTokenLen {
		return refuse("token longer than 8 KiB")
	}
	dots, segLen := 0, 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '.':
			if segLen == 0 {
				return refuse("empty token segment")
			}
			dots++
			if dots > 2 {
				return refuse("token has more than three segments")
			}
			segLen = 0
		case isBase64URL(c):
			segLen++
		default:
			return refuse("token segment is not base64url")
		}
	}
	if dots != 2 {
		return refuse("token has fewer than three segments")
	}
	if segLen == 0 {
		return refuse("empty token segment")
	}
	return nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
