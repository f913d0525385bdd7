package synth

import (
	"testing"

	"radcap/data"
	"radcap/eval"
)

// TestCaptionsLeaveRoomForROUGE: a model that sees every finding and the
// film's site marker, and always answers in the site's house style, scores
// FindingF1 1 and a ROUGE-L of at least 0.6 against the varied test
// captions, so the phrasing variety leaves the targets (F1 >= 0.8,
// ROUGE-L >= 0.45) reachable.
func TestCaptionsLeaveRoomForROUGE(t *testing.T) {
	g, _ := NewCXR(Config{Seed: 1})
	code, n, _, _ := g.splitInfo("test")
	var preds []string
	var refs [][]string
	var rs []string
	for i := 0; i < n; i++ {
		ls := drawLesions(newRNG(1, code, uint64(i), streamLesions))
		site := drawSite(newRNG(1, code, uint64(i), streamSite))
		ref := caption(ls, drawPlan(newRNG(1, code, uint64(i), streamCaption), ls, site))
		preds = append(preds, caption(ls, housePlan(site, len(ls))))
		refs = append(refs, []string{ref})
		rs = append(rs, ref)
	}
	r, _ := eval.ROUGE(preds, refs)
	p, rc, f1 := data.FindingF1(preds, rs)
	b, _ := eval.BLEU(preds, refs)
	t.Logf("house-style oracle on test: ROUGE-L %.3f, ROUGE-1 %.3f, BLEU %.3f, finding P/R/F1 %.3f/%.3f/%.3f", r.RougeL, r.Rouge1, b.BLEU, p, rc, f1)
	if f1 != 1 || r.RougeL < 0.6 {
		t.Errorf("oracle F1 %.3f (want 1), ROUGE-L %.3f (want >= 0.6)", f1, r.RougeL)
	}
}
