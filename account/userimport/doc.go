// Package userimport reads users with their password hashes from an
// Appwrite users export, a CSV file or a JSON file, and stores them in
// bulk through an core.UserImporter: the `caddy accountgate import`
// command.
//
// Ids, emails, phones, names, verification flags, status, prefs and
// creation times are kept, and so are password hashes of every kind
// sign-in can check (argon2, bcrypt, md5, sha, phpass, scrypt and
// scrypt-modified, see package passhash): imported users sign in with
// their old password and are re-hashed at that sign-in.
//
// An import is safe to run again: a user whose id is already stored is
// left as it is and counted as unchanged. A bad row is reported with the
// line it starts on, and the rest is imported.
//
// The package depends on the account core and passhash only; the
// caddymodule package opens the project's store and hands it over.
package userimport
