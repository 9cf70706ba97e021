./bin/sluice-load idle -addr 127.0.0.1:18080 -n 50 -duration 3s
