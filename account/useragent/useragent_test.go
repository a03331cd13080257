package useragent

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		ua   string
		want Device
	}{
		{
			// The example of Appwrite's session model.
			name: "chrome windows",
			ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36",
			want: Device{
				OSCode: "WIN", OSName: "Windows", OSVersion: "10",
				ClientType: "browser", ClientCode: "CH", ClientName: "Chrome", ClientVersion: "70.0",
				ClientEngine: "Blink", ClientEngineVersion: "70.0.3538.77",
				DeviceName: "desktop",
			},
		},
		{
			name: "firefox ubuntu",
			ua:   "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
			want: Device{
				OSCode: "LIN", OSName: "Linux",
				ClientType: "browser", ClientCode: "FF", ClientName: "Firefox", ClientVersion: "121.0",
				ClientEngine: "Gecko", ClientEngineVersion: "121.0",
				DeviceName: "desktop",
			},
		},
		{
			name: "safari macos",
			ua:   "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
			want: Device{
				OSCode: "MAC", OSName: "macOS", OSVersion: "10.15.7",
				ClientType: "browser", ClientCode: "SF", ClientName: "Safari", ClientVersion: "17.1",
				ClientEngine: "WebKit", ClientEngineVersion: "605.1.15",
				DeviceName: "desktop",
			},
		},
		{
			name: "mobile safari iphone",
			ua:   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
			want: Device{
				OSCode: "IOS", OSName: "iOS", OSVersion: "17.1.2",
				ClientType: "browser", ClientCode: "MF", ClientName: "Safari", ClientVersion: "17.1",
				ClientEngine: "WebKit", ClientEngineVersion: "605.1.15",
				DeviceName: "smartphone", DeviceBrand: "Apple", DeviceModel: "iPhone",
			},
		},
		{
			name: "chrome ipad",
			ua:   "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
			want: Device{
				OSCode: "IOS", OSName: "iOS", OSVersion: "16.6",
				ClientType: "browser", ClientCode: "CI", ClientName: "Chrome", ClientVersion: "119.0",
				ClientEngine: "WebKit", ClientEngineVersion: "605.1.15",
				DeviceName: "tablet", DeviceBrand: "Apple", DeviceModel: "iPad",
			},
		},
		{
			name: "chrome android",
			ua:   "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
			want: Device{
				OSCode: "AND", OSName: "Android", OSVersion: "14",
				ClientType: "browser", ClientCode: "CM", ClientName: "Chrome", ClientVersion: "120.0",
				ClientEngine: "Blink", ClientEngineVersion: "120.0.6099.144",
				DeviceName: "smartphone", DeviceModel: "SM-S918B",
			},
		},
		{
			name: "chrome android reduced",
			ua:   "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
			want: Device{
				OSCode: "AND", OSName: "Android", OSVersion: "10",
				ClientType: "browser", ClientCode: "CM", ClientName: "Chrome", ClientVersion: "120.0",
				ClientEngine: "Blink", ClientEngineVersion: "120.0.0.0",
				DeviceName: "smartphone",
			},
		},
		{
			name: "firefox android",
			ua:   "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
			want: Device{
				OSCode: "AND", OSName: "Android", OSVersion: "14",
				ClientType: "browser", ClientCode: "FM", ClientName: "Firefox", ClientVersion: "121.0",
				ClientEngine: "Gecko", ClientEngineVersion: "121.0",
				DeviceName: "smartphone",
			},
		},
		{
			name: "edge",
			ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
			want: Device{
				OSCode: "WIN", OSName: "Windows", OSVersion: "10",
				ClientType: "browser", ClientCode: "PS", ClientName: "Edge", ClientVersion: "120.0",
				ClientEngine: "Blink", ClientEngineVersion: "120.0.0.0",
				DeviceName: "desktop",
			},
		},
		{
			name: "edge legacy",
			ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
			want: Device{
				OSCode: "WIN", OSName: "Windows", OSVersion: "10",
				ClientType: "browser", ClientCode: "PS", ClientName: "Edge", ClientVersion: "18.19045",
				ClientEngine: "Edge", ClientEngineVersion: "18.19045",
				DeviceName: "desktop",
			},
		},
		{
			name: "opera windows 7",
			ua:   "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36 OPR/95.0.0.0",
			want: Device{
				OSCode: "WIN", OSName: "Windows", OSVersion: "7",
				ClientType: "browser", ClientCode: "OP", ClientName: "Opera", ClientVersion: "95.0",
				ClientEngine: "Blink", ClientEngineVersion: "109.0.0.0",
				DeviceName: "desktop",
			},
		},
		{
			name: "chrome os",
			ua:   "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			want: Device{
				OSCode: "COS", OSName: "ChromeOS",
				ClientType: "browser", ClientCode: "CH", ClientName: "Chrome", ClientVersion: "120.0",
				ClientEngine: "Blink", ClientEngineVersion: "120.0.0.0",
				DeviceName: "desktop",
			},
		},
		{
			name: "curl",
			ua:   "curl/8.5.0",
			want: Device{ClientType: "library", ClientName: "curl", ClientVersion: "8.5"},
		},
		{
			name: "go http client",
			ua:   "Go-http-client/1.1",
			want: Device{ClientType: "library", ClientName: "Go-http-client", ClientVersion: "1.1"},
		},
		{
			name: "node fetch",
			ua:   "node",
			want: Device{ClientType: "library", ClientName: "node"},
		},
		{
			// node-appwrite 9.x, the server SDK of Appwrite 1.3.
			name: "appwrite node sdk",
			ua:   "AppwriteNodeJSSDK/9.0.0 (Linux; #1 SMP PREEMPT_DYNAMIC Debian 6.1.69-1 (2023-12-30); x64)",
			want: Device{
				OSCode: "LIN", OSName: "Linux",
				ClientType: "library", ClientName: "AppwriteNodeJSSDK", ClientVersion: "9.0",
				DeviceName: "desktop",
			},
		},
		{
			name: "googlebot",
			ua:   "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			want: Device{ClientType: "library", ClientName: "Googlebot", ClientVersion: "2.1", DeviceName: "bot"},
		},
		{name: "empty", ua: "", want: Device{}},
		{name: "blank", ua: " \t ", want: Device{}},
		{name: "garbage", ua: "!!!@@@###", want: Device{}},
		{name: "bare mozilla", ua: "Mozilla/5.0", want: Device{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.ua); got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.ua, got, tt.want)
			}
		})
	}
}

func TestMajorMinor(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"120":          "120",
		"17.1":         "17.1",
		"70.0.3538.77": "70.0",
		"1.":           "1.",
	} {
		if got := majorMinor(in); got != want {
			t.Errorf("majorMinor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenValue(t *testing.T) {
	ua := "Mozilla/5.0 (X11; rv:121.0) HeadlessChrome/1.2 Chrome/3.4;x"
	for key, want := range map[string]string{
		"rv:":             "121.0",
		"Chrome/":         "3.4",
		"HeadlessChrome/": "1.2",
		"Mozilla/":        "5.0",
		"Gecko/":          "",
	} {
		if got := tokenValue(ua, key); got != want {
			t.Errorf("tokenValue(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestFieldsBounded(t *testing.T) {
	long := "Mozilla/5.0 (Linux; Android 14; " + strings.Repeat("\xffX\x01é", 400) + ") AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
	checkFields(t, long, Parse(long))
	checkFields(t, strings.Repeat("a/", 5000), Parse(strings.Repeat("a/", 5000)))
}

// checkFields fails t when a field of d is not valid UTF-8, holds a control
// character or is longer than MaxFieldLen.
func checkFields(t *testing.T, ua string, d Device) {
	t.Helper()
	for i, f := range []string{
		d.OSCode, d.OSName, d.OSVersion, d.ClientType, d.ClientCode,
		d.ClientName, d.ClientVersion, d.ClientEngine,
		d.ClientEngineVersion, d.DeviceName, d.DeviceBrand, d.DeviceModel,
	} {
		if !utf8.ValidString(f) {
			t.Errorf("Parse(%q): field %d %q is not valid UTF-8", ua, i, f)
		}
		if len(f) > MaxFieldLen {
			t.Errorf("Parse(%q): field %d is %d bytes long", ua, i, len(f))
		}
		if strings.IndexFunc(f, unicode.IsControl) >= 0 {
			t.Errorf("Parse(%q): field %d %q holds a control character", ua, i, f)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"curl/8.5.0",
		"(((;;;)))//::[[]]",
		"\xff\xfe\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		checkFields(t, ua, Parse(ua))
	})
}

func BenchmarkParse(b *testing.B) {
	const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36"
	b.ReportAllocs()
	for b.Loop() {
		Parse(ua)
	}
}
