// Package ingest turns bytes from the outside world into store entries: it finds timestamps in
// log lines (ExtractTime), splits newline-delimited streams (Lines), decodes JSON entry arrays
// (ParseJSONEntries) and serves the HTTP ingest endpoint (NewHandler, POST /api/ingest).
//
// The package does not know the store: tags are resolved through a Tagger and entries are
// handed to a Sink, so an embedder can put any backend behind the endpoint.
//
// Input errors are *InputError values that name the line (newline-delimited input) or the array
// index and field (JSON input); limit errors (*EntryTooLargeError, *BodyTooLargeError,
// *TooManyEntriesError) name the config field that set the limit.
package ingest
