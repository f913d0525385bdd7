package eval

import "radcap/eval/meteor"

// corpusMETEOR is the one place where [Compute] reaches METEOR: the mean
// over pairs of meteor.Score (the best over each prediction's references),
// `evaluate`'s "meteor" with alpha 0.9, beta 3, gamma 0.5. ok is false when
// METEOR is not available (never, now that package meteor exists).
func corpusMETEOR(predictions []string, references [][]string) (value float64, ok bool, err error) {
	v, err := meteor.Corpus(predictions, references)
	return v, err == nil, err
}
