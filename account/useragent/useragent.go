package useragent

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	uaparser "github.com/mileusna/useragent"
)

// Client types reported in [Device.ClientType].
const (
	// ClientBrowser is the client type of web browsers and in-app browsers.
	ClientBrowser = "browser"
	// ClientLibrary is the client type of HTTP libraries, command-line
	// tools, SDKs and bots.
	ClientLibrary = "library"
)

// Device names reported in [Device.DeviceName].
const (
	// DeviceDesktop is a desktop or laptop computer.
	DeviceDesktop = "desktop"
	// DeviceSmartphone is a phone.
	DeviceSmartphone = "smartphone"
	// DeviceTablet is a tablet.
	DeviceTablet = "tablet"
	// DeviceBot is a crawler or another automated client.
	DeviceBot = "bot"
)

// Engines reported in [Device.ClientEngine].
const (
	// EngineBlink is the engine of Chrome 28+ and of the browsers built on
	// it (Edge 79+, Opera 15+, Samsung Browser, ...).
	EngineBlink = "Blink"
	// EngineGecko is the engine of Firefox.
	EngineGecko = "Gecko"
	// EngineWebKit is the engine of Safari and of every browser on iOS.
	EngineWebKit = "WebKit"
	// EngineTrident is the engine of Internet Explorer.
	EngineTrident = "Trident"
	// EngineEdgeHTML is the engine of Edge before version 79, which matomo
	// calls "Edge".
	EngineEdgeHTML = "Edge"
	// EnginePresto is the engine of Opera before version 15.
	EnginePresto = "Presto"
)

// MaxFieldLen is the largest length in bytes of any field of a [Device].
const MaxFieldLen = 256

// maxInput is the part of a User-Agent header that Parse reads; the rest is
// ignored. Real headers are far shorter.
const maxInput = 2048

// Device holds what a User-Agent header tells about the client that sent
// it, in the shape of the device fields of Appwrite's session and log
// models. A field that cannot be told is "". Every field is valid UTF-8
// without control characters and at most [MaxFieldLen] bytes long.
type Device struct {
	// OSCode is the matomo code of the operating system, e.g. "WIN".
	OSCode string
	// OSName is the operating system's name, e.g. "Windows".
	OSName string
	// OSVersion is the operating system's version, e.g. "10".
	OSVersion string
	// ClientType is [ClientBrowser], [ClientLibrary] or "".
	ClientType string
	// ClientCode is the matomo code of a browser, e.g. "CH"; libraries
	// have none.
	ClientCode string
	// ClientName is the client's name, e.g. "Chrome" or "curl".
	ClientName string
	// ClientVersion is the client's version as major.minor, e.g. "70.0".
	ClientVersion string
	// ClientEngine is a browser's rendering engine, e.g. [EngineBlink].
	ClientEngine string
	// ClientEngineVersion is the engine's full version, e.g. "70.0.3538.77".
	ClientEngineVersion string
	// DeviceName is [DeviceDesktop], [DeviceSmartphone], [DeviceTablet],
	// [DeviceBot] or "".
	DeviceName string
	// DeviceBrand is the maker of the device, e.g. "Apple", when known.
	DeviceBrand string
	// DeviceModel is the device's model, e.g. "iPhone" or "SM-S918B", when
	// known.
	DeviceModel string
}

// Parse reads a User-Agent header. An empty or blank header gives a Device
// whose fields are all "". Parse never panics and is safe for concurrent
// use.
func Parse(ua string) Device {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return Device{}
	}
	if len(ua) > maxInput {
		ua = ua[:maxInput]
	}
	p := uaparser.Parse(ua)

	var d Device
	d.OSName = p.OS
	d.OSCode = osCodes[p.OS]
	d.OSVersion = osVersion(p.OS, p.OSVersion)

	name := p.Name
	if name == p.String && !libraries[name] {
		// The parser found no product token and echoed the whole header.
		name = ""
	}
	codes, isBrowser := browsers[name]
	switch {
	case isBrowser:
		d.ClientType = ClientBrowser
		d.ClientCode = codes.pick(p.OS)
	case name != "" && !p.Bot && isBrowserLike(ua):
		// A browser the table does not know, e.g. an Electron app.
		d.ClientType = ClientBrowser
		isBrowser = true
	case name != "" && (p.Bot || p.Version != "" || libraries[name]):
		d.ClientType = ClientLibrary
	default:
		name = ""
	}
	if name != "" {
		d.ClientName = name
		d.ClientVersion = majorMinor(p.Version)
		if name == "Trident" {
			d.ClientVersion = majorMinor(tokenValue(ua, "rv:"))
		}
	}
	if isBrowser {
		d.ClientEngine, d.ClientEngineVersion = engine(ua, name, p.OS)
	}

	switch {
	case p.Bot && !isBrowser:
		d.DeviceName = DeviceBot
	case p.Tablet:
		d.DeviceName = DeviceTablet
	case p.Mobile:
		d.DeviceName = DeviceSmartphone
	case p.Desktop:
		d.DeviceName = DeviceDesktop
	}
	d.DeviceBrand, d.DeviceModel = brandModel(p.OS, p.Device)

	return d.clean()
}

// pick returns the code of the browser on the given operating system.
func (c browserCodes) pick(os string) string {
	switch {
	case os == uaparser.Android && c.android != "":
		return c.android
	case os == uaparser.IOS && c.ios != "":
		return c.ios
	}
	return c.desktop
}

// osVersion returns the version to report for an operating system. The
// parser sometimes returns an architecture ("x86_64") where a version
// stands on Linux and Chrome OS; only values that start with a digit are
// kept.
func osVersion(os, v string) string {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return ""
	}
	if os == uaparser.Windows {
		if name, ok := windowsVersions[v]; ok {
			return name
		}
	}
	return v
}

// majorMinor cuts a version to its first two dot-separated parts, the form
// Appwrite reports for clientVersion ("70.0.3538.77" becomes "70.0").
func majorMinor(v string) string {
	first := strings.IndexByte(v, '.')
	if first < 0 {
		return v
	}
	if second := strings.IndexByte(v[first+1:], '.'); second >= 0 {
		return v[:first+1+second]
	}
	return v
}

// isBrowserLike tells whether a header has the shape browsers send:
// "Mozilla/" and a rendering engine's product token.
func isBrowserLike(ua string) bool {
	return strings.HasPrefix(ua, "Mozilla/") &&
		(tokenValue(ua, "AppleWebKit/") != "" || tokenValue(ua, "Gecko/") != "")
}

// engine derives a browser's rendering engine and the engine's version
// from the product tokens of the header, following matomo's rules: every
// browser on iOS uses WebKit; Chrome 28 and later and the browsers built
// on it use Blink, whose version is Chrome's; Firefox uses Gecko, whose
// version is the "rv:" value; Safari uses WebKit, whose version is
// AppleWebKit's.
func engine(ua, name, os string) (string, string) {
	if os == uaparser.IOS {
		return webKit(ua)
	}
	if v := tokenValue(ua, "Trident/"); v != "" {
		return EngineTrident, v
	}
	if v := tokenValue(ua, "Presto/"); v != "" {
		return EnginePresto, v
	}
	if name == "Edge" {
		if v := tokenValue(ua, "Edge/"); v != "" {
			return EngineEdgeHTML, v
		}
	}
	chrome := tokenValue(ua, "Chrome/")
	if chrome == "" {
		chrome = tokenValue(ua, "HeadlessChrome/")
	}
	if chrome != "" {
		if major, err := strconv.Atoi(strings.SplitN(chrome, ".", 2)[0]); err == nil && major >= 28 {
			return EngineBlink, chrome
		}
		return webKit(ua)
	}
	if tokenValue(ua, "Gecko/") != "" {
		return EngineGecko, tokenValue(ua, "rv:")
	}
	return webKit(ua)
}

// webKit returns WebKit and AppleWebKit's version when the header names
// it, else nothing.
func webKit(ua string) (string, string) {
	if v := tokenValue(ua, "AppleWebKit/"); v != "" {
		return EngineWebKit, v
	}
	return "", ""
}

// tokenValue returns the value after key in ua, where key ("Chrome/",
// "rv:") must start the header or follow a space, "(" or ";", and the
// value runs to the next space, ";" or ")". It returns "" when key is not
// there or has no value.
func tokenValue(ua, key string) string {
	for from := 0; from < len(ua); {
		i := strings.Index(ua[from:], key)
		if i < 0 {
			return ""
		}
		i += from
		if i == 0 || strings.IndexByte(" (;", ua[i-1]) >= 0 {
			v := ua[i+len(key):]
			if end := strings.IndexAny(v, " ;)"); end >= 0 {
				v = v[:end]
			}
			return v
		}
		from = i + len(key)
	}
	return ""
}

// brandModel returns the device's brand and model. Apple devices are named
// by the parser; for Android it gives the raw model token, except in the
// reduced user agents of current Chrome, which send "K" in its place.
func brandModel(os, device string) (string, string) {
	switch {
	case os == uaparser.IOS && (device == "iPhone" || device == "iPad" || device == "iPod"):
		return "Apple", device
	case os == uaparser.Android && device != "K":
		return "", device
	}
	return "", ""
}

// clean bounds every field of d: invalid UTF-8 and control characters are
// dropped and the rest is cut to MaxFieldLen bytes on a rune boundary.
func (d Device) clean() Device {
	for _, f := range []*string{
		&d.OSCode, &d.OSName, &d.OSVersion, &d.ClientType, &d.ClientCode,
		&d.ClientName, &d.ClientVersion, &d.ClientEngine,
		&d.ClientEngineVersion, &d.DeviceName, &d.DeviceBrand, &d.DeviceModel,
	} {
		*f = cleanField(*f)
	}
	return d
}

// cleanField returns s as valid UTF-8 without control characters, at most
// MaxFieldLen bytes long.
func cleanField(s string) string {
	plain := len(s) <= MaxFieldLen
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] >= 0x20 && s[i] < 0x7f
	}
	if plain {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > MaxFieldLen {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
