package deps

import (
	_ "github.com/coder/websocket"
	_ "github.com/gobwas/ws"
	_ "github.com/gobwas/ws/wsflate"
	_ "github.com/gorilla/websocket"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/klauspost/compress/s2"
	_ "github.com/klauspost/compress/flate"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/tklauser/go-sysconf"
	_ "github.com/valyala/fastjson"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
)
