./bin/sluice-load stream -addr 127.0.0.1:18080 -m 1 -min-duration 5s -query 'tag=*'
