package demo

// Host roles.
const (
	roleWeb = iota
	roleDB
	roleCache
	roleMail
	roleAuth
	roleBuild
	roleK8s
	roleGateway
	numRoles
)

type host struct {
	name string
	ip   [4]byte
	role int
}

// hosts are the machines that send syslog; web servers also write the weblog and gateways
// export netflow.
var hosts = []host{
	{"web01", [4]byte{10, 0, 1, 11}, roleWeb},
	{"web02", [4]byte{10, 0, 1, 12}, roleWeb},
	{"web03", [4]byte{10, 0, 1, 13}, roleWeb},
	{"db01", [4]byte{10, 0, 2, 21}, roleDB},
	{"db02", [4]byte{10, 0, 2, 22}, roleDB},
	{"cache01", [4]byte{10, 0, 2, 31}, roleCache},
	{"mail01", [4]byte{10, 0, 3, 11}, roleMail},
	{"auth01", [4]byte{10, 0, 3, 21}, roleAuth},
	{"build01", [4]byte{10, 0, 4, 11}, roleBuild},
	{"k8s-node1", [4]byte{10, 0, 5, 11}, roleK8s},
	{"k8s-node2", [4]byte{10, 0, 5, 12}, roleK8s},
	{"gw01", [4]byte{10, 0, 0, 1}, roleGateway},
	{"gw02", [4]byte{10, 0, 0, 2}, roleGateway},
}

// webHosts and gateways index into hosts.
var (
	webHosts = []int{0, 1, 2}
	gateways = []int{11, 12}
)

// Syslog applications.
const (
	appSshd = iota
	appSystemd
	appCron
	appKernel
	appSudo
	appNginx
	appPostgres
	appRedis
	appSmtpd
	appQmgr
	appSmtp
	appKubelet
	appContainerd
	appDockerd
	appSlapd
)

type app struct {
	name     string
	facility int
	weight   [numRoles]int // how often each role's hosts log from this app (0: never)
}

// RFC 5424 §6.2.1 facilities.
const (
	facKern     = 0
	facMail     = 2
	facDaemon   = 3
	facAuth     = 4
	facCron     = 9
	facAuthpriv = 10
	facLocal0   = 16
)

// apps is indexed by the app constants; weights by role:
// web, db, cache, mail, auth, build, k8s, gateway.
var apps = []app{
	appSshd:       {"sshd", facAuth, [numRoles]int{6, 6, 4, 4, 12, 10, 6, 8}},
	appSystemd:    {"systemd", facDaemon, [numRoles]int{4, 4, 4, 4, 4, 6, 6, 3}},
	appCron:       {"CRON", facCron, [numRoles]int{3, 5, 3, 3, 3, 3, 3, 2}},
	appKernel:     {"kernel", facKern, [numRoles]int{2, 2, 2, 2, 2, 2, 4, 30}},
	appSudo:       {"sudo", facAuthpriv, [numRoles]int{1, 2, 1, 1, 3, 4, 2, 1}},
	appNginx:      {"nginx", facLocal0, [numRoles]int{12, 0, 0, 0, 0, 0, 0, 0}},
	appPostgres:   {"postgres", facLocal0, [numRoles]int{0, 14, 0, 0, 0, 0, 0, 0}},
	appRedis:      {"redis-server", facDaemon, [numRoles]int{0, 0, 10, 0, 0, 0, 0, 0}},
	appSmtpd:      {"postfix/smtpd", facMail, [numRoles]int{0, 0, 0, 10, 0, 0, 0, 0}},
	appQmgr:       {"postfix/qmgr", facMail, [numRoles]int{0, 0, 0, 6, 0, 0, 0, 0}},
	appSmtp:       {"postfix/smtp", facMail, [numRoles]int{0, 0, 0, 6, 0, 0, 0, 0}},
	appKubelet:    {"kubelet", facDaemon, [numRoles]int{0, 0, 0, 0, 0, 0, 12, 0}},
	appContainerd: {"containerd", facDaemon, [numRoles]int{0, 0, 0, 0, 0, 0, 6, 0}},
	appDockerd:    {"dockerd", facDaemon, [numRoles]int{0, 0, 0, 0, 0, 10, 0, 0}},
	appSlapd:      {"slapd", facLocal0, [numRoles]int{0, 0, 0, 0, 12, 0, 0, 0}},
}

var (
	users     = []string{"alice", "bob", "carol", "dave", "erin", "deploy", "jenkins", "backup", "ansible", "git"}
	badUsers  = []string{"root", "admin", "test", "oracle", "ubuntu", "pi", "user", "guest", "ftpuser", "postgres", "support", "hadoop"}
	services  = []string{"nginx", "postgresql", "redis-server", "postfix", "kubelet", "containerd", "docker", "node-exporter", "fluent-bit", "chrony"}
	cronCmds  = []string{"(root) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)", "(root) CMD (run-parts /etc/cron.hourly)", "(www-data) CMD (php /var/www/app/artisan schedule:run)", "(root) CMD (/usr/sbin/logrotate /etc/logrotate.conf)", "(postgres) CMD (/usr/local/bin/pg_dump_all.sh)", "(root) CMD (test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily ))"}
	sudoCmds  = []string{"/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update", "/usr/bin/journalctl -u kubelet", "/bin/cat /var/log/auth.log", "/usr/bin/docker ps", "/usr/sbin/iptables -L -n"}
	mailPeers = []string{"mail-ed1-f41.google.com", "mx1.example.org", "smtp.mailgun.net", "outbound.protection.outlook.com", "unknown", "mta7.am0.yahoodns.net"}
	domains   = []string{"example.com", "example.org", "example.net", "corp.example.com"}
	pods      = []string{"api-7d9f8b6c5-x2lkq", "worker-5c6d7f8d9-abc12", "frontend-6b8c9d7f5-qwert", "redis-0", "ingress-nginx-controller-7f9d8", "prometheus-0", "checkout-59d7c9b8f-zt4mn"}
	sshKeys   = []string{"ED25519 SHA256:3mN4bXkq8dV1T0pRzYc6wHjL2sFgA9uE7iOoK5nQhBc", "RSA SHA256:Qx7fJ2mP9sLkT4vB8nW1cE6rY3uI0oA5dG7hZ2xKjNm", "ECDSA SHA256:Lp3sT8qW2eR6yU1iO9aS4dF7gH0jK5lZ3xC8vB2nM6q"}
	pgTables  = []string{"orders", "users", "sessions", "payments", "inventory", "audit_log"}
	pgApps    = []string{"api", "worker", "checkout", "psql"}

	probedPorts   = []int{22, 23, 445, 3389, 8080, 5900, 1433, 6379, 3306}
	upstreamPaths = []string{"/api/v1/orders", "/api/v1/cart", "/api/v1/users/me", "/api/v1/checkout"}
)

// Weblog vocabulary.
var (
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
		"curl/8.5.0",
		"python-requests/2.31.0",
		"Go-http-client/2.0",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	}
	uaWeights  = []int{30, 14, 8, 14, 10, 6, 3, 3, 3, 4, 2}
	referers   = []string{"-", "-", "-", "https://www.example.com/", "https://www.example.com/shop", "https://www.google.com/", "https://duckduckgo.com/", "https://www.example.com/account"}
	searchQ    = []string{"shoes", "laptop", "coffee", "usb-c+cable", "headphones", "desk+lamp", "backpack", "monitor"}
	staticObjs = []string{"/static/app.3f9a1c.js", "/static/vendor.8b2e7d.js", "/static/style.51c0aa.css", "/static/logo.svg", "/static/fonts/inter.woff2", "/favicon.ico", "/static/img/hero.webp"}
	scanPaths  = []string{"/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php", "/cgi-bin/luci", "/admin/config.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"}
)
