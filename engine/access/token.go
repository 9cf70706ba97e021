package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// tokenPrefix starts every token NewToken makes, so a leaked one is recognisable.
const tokenPrefix = "sluice_"

// hashPrefix starts every hash HashToken makes: the algorithm, then 64 hex digits.
const hashPrefix = "sha256:"

// NewToken returns a fresh random token: "sluice_" and 43 base64url characters (256 bits).
// Every character is valid in a Sec-WebSocket-Protocol value, so browsers can offer it.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("access: cannot read random bytes for a token: " + err.Error())
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken returns the form in which a token is stored in the config: "sha256:" and the hex
// SHA-256 of the token.
//
// NOTE: a plain SHA-256, not a slow password hash, because NewToken's tokens carry 256 random
// bits: nothing can be guessed from the hash, and every websocket upgrade and REST call pays
// for one hash, which must stay in the microseconds.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hashPrefix + hex.EncodeToString(sum[:])
}

// parseHash decodes a HashToken string.
func parseHash(s string) ([32]byte, error) {
	var h [32]byte
	hexPart, ok := strings.CutPrefix(strings.TrimSpace(s), hashPrefix)
	if !ok {
		return h, errors.New("token_hash must start with " + strconv.Quote(hashPrefix) + " (made by `sluiced token add`)")
	}
	if len(hexPart) != 64 {
		return h, errors.New("token_hash must be " + strconv.Quote(hashPrefix) + " and 64 hex digits, got " + strconv.Itoa(len(hexPart)) + " digits")
	}
	if _, err := hex.Decode(h[:], []byte(hexPart)); err != nil {
		return h, errors.New("token_hash is not hex: " + err.Error())
	}
	return h, nil
}
