// Package geoip tells the country of an IP address for the Appwrite 1.3
// Account API's session and log fields countryCode and CountryName.
//
// It reads an optional database in the MaxMind DB format whose records
// have the GeoLite2-Country shape, {"country": {"iso_code": "DE"}} (the
// GeoLite2/GeoIP2 Country and City databases, or compatible ones such as
// DB-IP's country lite database). Without a database every address is
// unknown, which Appwrite reports as the country code "--" and the country
// name "Unknown".
package geoip
