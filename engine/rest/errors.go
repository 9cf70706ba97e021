package rest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error is a REST failure: the HTTP status, the request field it is about (a path segment, a
// query parameter or a body key; empty when none) and the message. It is written as
// {"Error":"…","Field":"…"}; Gravwell's clients read the Error key.
type Error struct {
	Status int
	Field  string
	Msg    string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "rest: " + e.Msg
	}
	return "rest: " + strconv.Quote(e.Field) + ": " + e.Msg
}

func badRequest(field, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Msg: msg}
}

func notFound(field, msg string) *Error {
	return &Error{Status: http.StatusNotFound, Field: field, Msg: msg}
}

// writeJSON answers with status and v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, &Error{Status: http.StatusInternalServerError, Msg: "cannot encode the reply: " + err.Error()})
		return
	}
	writeRaw(w, status, b)
}

// writeRaw answers with status and the JSON document b.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError answers with e's status and {"Error":…,"Field":…}.
func writeError(w http.ResponseWriter, e *Error) {
	msg := e.Error()
	writeJSON(w, e.Status, struct {
		Error string
		Field string `json:",omitempty"`
	}{msg, e.Field})
}
