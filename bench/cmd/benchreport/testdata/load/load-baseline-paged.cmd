./bin/sluice-load paged -addr 127.0.0.1:18081 -c 1 -page 1024 -duration 2s
