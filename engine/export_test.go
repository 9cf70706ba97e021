package engine

// ReplySlots exposes the bound on replies computed at once, for the tests of engine_test.
var ReplySlots = replySlots
