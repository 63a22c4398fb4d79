package messenger

import "testing"

func TestFirewallRules(t *testing.T) {
	dropAll := "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established accept\n\t}\n}\n"
	accept := "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tudp dport 2425 accept\n\t}\n}\n"
	open := "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n"
	for _, c := range []struct {
		name string
		got  Check
		ok   bool
	}{
		{"nft drops", nftCheck(dropAll, 2425), false},
		{"nft accepts the port", nftCheck(accept, 2425), true},
		{"nft accepts all", nftCheck(open, 2425), true},
		{"ufw without the port", ufwCheck("-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n", 2425), false},
		{"ufw with the port", ufwCheck("-A ufw-user-input -p udp --dport 2425 -j ACCEPT\n", 2425), true},
		{"firewalld without", firewalldCheck("22/tcp", 2425), false},
		{"firewalld with", firewalldCheck("2425/udp 2425/tcp", 2425), true},
	} {
		if c.got.OK != c.ok || c.got.Name != "firewall" || c.got.Detail == "" {
			t.Errorf("%s: %+v, want OK %v", c.name, c.got, c.ok)
		}
	}
}
