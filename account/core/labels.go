package core

import "slices"

// Labels tag users for the operator's own purposes (roles, plans); the
// gate hands them to the upstream and can admit users by them. Appwrite's
// rules: at most MaxLabels labels, each 1 to MaxLabelLength ASCII letters
// and digits; repeats are dropped, the first kept, order kept.
const (
	MaxLabels      = 1000
	MaxLabelLength = 36
)

// DescLabels is Appwrite's description of the labels validator.
const DescLabels = "Value must a valid array no longer than 1000 items and Value must be a valid string and at least 1 chars and no longer than 36 chars and only consist of 'a-z, A-Z, 0-9' chars"

// CheckLabels checks labels against Appwrite's rules and returns them
// without repeats (nil for none); 400 general_argument_invalid otherwise.
func CheckLabels(labels []string) ([]string, error) {
	if len(labels) > MaxLabels {
		return nil, InvalidParam("labels", DescLabels)
	}
	var out []string
	for _, l := range labels {
		if !validLabel(l) {
			return nil, InvalidParam("labels", DescLabels)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// validLabel reports whether l is 1 to MaxLabelLength ASCII letters and
// digits.
func validLabel(l string) bool {
	if l == "" || len(l) > MaxLabelLength {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
