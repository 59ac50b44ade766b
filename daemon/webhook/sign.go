package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// HeaderEvent is the event type, such as member.level_changed.
	HeaderEvent = "X-Rollcall-Event"
	// HeaderDelivery is the outbox id, the same in every attempt (and the
	// body's "id"): receivers drop a delivery they already have.
	HeaderDelivery = "X-Rollcall-Delivery"
	// HeaderTimestamp is the Unix time (seconds) of this attempt.
	HeaderTimestamp = "X-Rollcall-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with the
	// secret, of the timestamp, ".", and the body.
	HeaderSignature = "X-Rollcall-Signature"
)

// signaturePrefix starts every HeaderSignature value.
const signaturePrefix = "sha256="

// Verify's errors, for errors.Is.
var (
	// ErrNoSignature: the timestamp or signature header is missing or
	// malformed.
	ErrNoSignature = errors.New("webhook: missing or malformed signature headers")
	// ErrBadSignature: the signature does not match the body and
	// timestamp (another secret, or a changed body).
	ErrBadSignature = errors.New("webhook: signature does not match")
	// ErrStale: the signature is right but its timestamp is further from
	// now than the tolerance (a replay, or a clock far off).
	ErrStale = errors.New("webhook: timestamp outside the tolerance")
)

// Sign returns the HeaderSignature value of body sent at ts:
// "sha256=" + hex(HMAC-SHA256(secret, "<unix seconds>.<body>")).
func Sign(secret []byte, ts time.Time, body []byte) string {
	return sign(secret, strconv.FormatInt(ts.Unix(), 10), body)
}

func sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery as its receiver got it: the signature in
// header must be body's, under secret, at the header's timestamp (compared
// in constant time), and that timestamp must be within tolerance of now
// either way, so that a recorded delivery cannot be replayed later. The
// error wraps ErrNoSignature, ErrBadSignature or ErrStale.
func Verify(secret []byte, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := header.Get(HeaderTimestamp)
	sig := header.Get(HeaderSignature)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !strings.HasPrefix(sig, signaturePrefix) {
		return ErrNoSignature
	}
	if !hmac.Equal([]byte(sig), []byte(sign(secret, ts, body))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s away from now, tolerance %s", ErrStale, d.Round(time.Second), tolerance)
	}
	return nil
}
