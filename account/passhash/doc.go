// Package passhash verifies the password hashes other systems export, so
// that their users can sign in with their old password and be re-hashed:
// Appwrite's md5, sha, phpass, scrypt and scrypt-modified (Firebase's
// modified scrypt) kinds.
//
// Each kind is stored in one self-describing string, which Verify reads
// back without any other input:
//
//	$plain-md5$<hex digest>                 unsalted MD5 (Appwrite md5)
//	$plain-<sha version>$<hex digest>       unsalted SHA-1/2/3 (Appwrite sha; sha512/224 as sha512-224)
//	$P$… or $H$…                            phpass portable hashes, as phpass writes them
//	$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>
//	$firebase-scrypt$ln=<log2 N>,r=<r>,p=1,sep=<separator>,key=<signer key>$<salt>$<hash>
//
// where salt, key, separator, signer key and hash are unpadded standard
// base64. Work factors are bounded (see the Max constants), so that an
// imported hash cannot make one sign-in eat the machine. Digests are
// compared in constant time. The package has no dependency besides the
// standard library and x/crypto.
package passhash
