// Package useragent turns an HTTP User-Agent header into the device fields
// that the Appwrite 1.3 Account API reports for sessions and logs (osCode,
// osName, clientType, clientCode, clientEngine, deviceName and so on).
//
// The heavy lifting (finding the operating system, the client and its
// version, and the device class) is done by github.com/mileusna/useragent.
// This package adds what Appwrite clients expect on top of that: the short
// codes of the matomo device-detector project (for example "WIN" for Windows
// or "CH" for Chrome, which Appwrite's avatar endpoints key on), the
// rendering engine and its version, Appwrite's version formats, and bounds
// on every field.
//
// The package does not import the account package, so that account can
// import it; account copies the fields of [Device] into its own type.
package useragent
