package useragent

// The short codes below are those of the matomo device-detector project,
// which Appwrite reports as osCode and clientCode. The keys are the names
// that github.com/mileusna/useragent gives; names it never gives (Ubuntu,
// Fedora and the other Linux distributions, which it reports as "Linux")
// have no entry.

// osCodes maps an operating-system name of the parser to its matomo code.
var osCodes = map[string]string{
	"Windows":       "WIN",
	"Windows Phone": "WPH",
	"Android":       "AND",
	"macOS":         "MAC",
	"iOS":           "IOS",
	"Linux":         "LIN",
	"FreeBSD":       "BSD",
	"ChromeOS":      "COS",
	"BlackBerry":    "BLB",
	"Harmony":       "OHS", // the parser reports the OpenHarmony token as "Harmony"
}

// windowsVersions maps a "Windows NT x.y" kernel version to the release name
// that matomo (and so Appwrite) reports as osVersion.
var windowsVersions = map[string]string{
	"11.0": "11",
	"10.0": "10",
	"6.4":  "10",
	"6.3":  "8.1",
	"6.2":  "8",
	"6.1":  "7",
	"6.0":  "Vista",
	"5.2":  "Server 2003",
	"5.1":  "XP",
	"5.0":  "2000",
}

// browserCodes holds the matomo codes of one browser as the parser names
// it. matomo gives some browsers their own entry on mobile platforms
// ("Chrome Mobile", "Mobile Safari"); android and ios hold those codes and
// fall back to desktop when empty.
type browserCodes struct {
	desktop string
	android string
	ios     string
}

// browsers maps a client name of the parser to its matomo codes. A client
// that is listed here is reported with clientType "browser".
var browsers = map[string]browserCodes{
	"Chrome":            {desktop: "CH", android: "CM", ios: "CI"},
	"Safari":            {desktop: "SF", ios: "MF"},
	"Firefox":           {desktop: "FF", android: "FM", ios: "F1"},
	"Edge":              {desktop: "PS"},
	"Opera":             {desktop: "OP", android: "OM"},
	"Opera Mini":        {desktop: "OI", ios: "O1"},
	"Opera Touch":       {desktop: "OO"},
	"Vivaldi":           {desktop: "VI"},
	"Internet Explorer": {desktop: "IE"},
	"Trident":           {desktop: "IE"}, // IE 11 sends only "Trident/7.0; rv:11.0"
	"Samsung Browser":   {desktop: "SB"},
	"Headless Chrome":   {desktop: "HC"},
	"Huawei Browser":    {desktop: "HP"},
	"Miui Browser":      {desktop: "MU"},
	"Android browser":   {desktop: "AN"},
	"YaBrowser":         {desktop: "YA"},
	"Brave":             {desktop: "BR"},
	"NetFront":          {desktop: "NF"},
	"BlackBerry":        {desktop: "BB"},
	"Facebook App":      {},
	"Instagram App":     {},
	"TikTok App":        {},
}

// libraries lists HTTP client libraries that the parser names but that
// carry no version, so that they are still reported with clientType
// "library" (Node's built-in fetch sends just "node" or "undici").
var libraries = map[string]bool{
	"node":       true,
	"undici":     true,
	"curl":       true,
	"Wget":       true,
	"node-fetch": true,
	"axios":      true,
	"okhttp":     true,
}
