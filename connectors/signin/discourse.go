package signin

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DiscourseScopes are the scopes `rollcall auth discourse` asks for.
var DiscourseScopes = []string{"read"}

// DiscourseKeyBits is the size of the RSA key pair of a request. The
// payload Discourse encrypts is short (the key, the nonce, two fields).
const DiscourseKeyBits = 2048

// DiscourseRequest is one user API key request: the key pair, the nonce
// and the approval URL. Its private key never leaves the process.
type DiscourseRequest struct {
	// Forum is the forum's base URL without a trailing slash.
	Forum    string
	ClientID string
	key      *rsa.PrivateKey
	nonce    string
	url      string
}

// NewDiscourseRequest generates a key pair and a nonce and builds the
// approval URL /user-api-key/new with application_name, client_id,
// scopes, public_key (PEM) and nonce, as the "User API keys specification"
// describes. Without redirect, the forum shows the encrypted payload after
// the person approves, to paste back; with one, the forum redirects there
// with ?payload= (the site must list it in allowed_user_api_auth_redirects).
// Discourse keeps one key per user and client_id: a new approval replaces
// the key an earlier one made with the same client id.
func NewDiscourseRequest(forum, appName, clientID, redirect string, scopes []string) (*DiscourseRequest, error) {
	key, err := rsa.GenerateKey(rand.Reader, DiscourseKeyBits)
	if err != nil {
		return nil, fmt.Errorf("discourse: generate a key pair: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("discourse: encode the public key: %w", err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return nil, fmt.Errorf("discourse: make a nonce: %w", err)
	}
	nonce := hex.EncodeToString(n)
	q := url.Values{
		"application_name": {appName},
		"client_id":        {clientID},
		"scopes":           {strings.Join(scopes, ",")},
		"public_key":       {string(pub)},
		"nonce":            {nonce},
	}
	if redirect != "" {
		q.Set("auth_redirect", redirect)
	}
	return &DiscourseRequest{
		Forum:    forum,
		ClientID: clientID,
		key:      key,
		nonce:    nonce,
		url:      forum + "/user-api-key/new?" + q.Encode(),
	}, nil
}

// ApprovalURL is the page where the person approves the request.
func (r *DiscourseRequest) ApprovalURL() string { return r.url }

// PayloadLen is how many base64 characters a complete payload has (one RSA
// block), so that a reader knows when a pasted payload, which the forum
// shows in lines of 60, is whole.
func (r *DiscourseRequest) PayloadLen() int { return base64.StdEncoding.EncodedLen(r.key.Size()) }

// ErrPayloadNonce means the payload decrypted but answers another request.
var ErrPayloadNonce = errors.New("discourse: the payload answers another request (its nonce differs): paste the payload of the approval URL printed above")

// Decrypt decrypts the pasted payload (or the redirect URL that carries it
// in ?payload=) with the private key, RSA PKCS #1 v1.5 as Discourse
// encrypts it, checks the nonce and returns the user API key.
func (r *DiscourseRequest) Decrypt(payload string) (string, error) {
	payload = strings.TrimSpace(payload)
	if i := strings.Index(payload, "payload="); i >= 0 && strings.Contains(payload, "?") {
		if u, err := url.Parse(payload); err == nil {
			payload = u.Query().Get("payload")
		}
	}
	payload = strings.Join(strings.Fields(payload), "")
	if payload == "" {
		return "", errors.New("discourse: no payload pasted")
	}
	ct, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", errors.New("discourse: the payload is not base64: paste the whole text the forum shows after you approve")
	}
	pt, err := rsa.DecryptPKCS1v15(nil, r.key, ct)
	if err != nil {
		return "", errors.New("discourse: the payload does not decrypt with this request's key: paste the payload of the approval URL printed above")
	}
	var p struct {
		Key   string `json:"key"`
		Nonce string `json:"nonce"`
		API   int    `json:"api"`
	}
	if err := json.Unmarshal(pt, &p); err != nil {
		return "", errors.New("discourse: the decrypted payload is not the JSON Discourse sends")
	}
	if subtle.ConstantTimeCompare([]byte(p.Nonce), []byte(r.nonce)) != 1 {
		return "", ErrPayloadNonce
	}
	if p.Key == "" {
		return "", errors.New("discourse: the payload carries no key")
	}
	return p.Key, nil
}

// DiscourseUser asks whom a user API key belongs to (GET
// /session/current.json with the User-Api-Key header) and returns the user
// name.
func DiscourseUser(ctx context.Context, hc *http.Client, forum, key, clientID string) (string, error) {
	var cu struct {
		CurrentUser struct {
			Username string `json:"username"`
		} `json:"current_user"`
	}
	if _, err := getJSON(ctx, hc, forum+"/session/current.json", func(r *http.Request) {
		r.Header.Set("User-Api-Key", key)
		if clientID != "" {
			r.Header.Set("User-Api-Client-Id", clientID)
		}
	}, &cu); err != nil {
		return "", fmt.Errorf("discourse: verify the key: %w", err)
	}
	if cu.CurrentUser.Username == "" {
		return "", errors.New("discourse: verify the key: /session/current.json names no user")
	}
	return cu.CurrentUser.Username, nil
}
