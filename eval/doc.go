// Package eval scores generated captions the way Hugging Face `evaluate`
// scores them, and prints results tables.
//
// The metrics follow the reference implementations exactly (see the fixture
// README in the shared metrics folder for every rule):
//
//   - [BLEU]: `evaluate`'s "bleu" metric with its defaults (tokenizer 13a,
//     max order 4, no smoothing, corpus-level counts, shortest reference
//     length for the brevity penalty).
//   - [SacreBLEU]: sacreBLEU's corpus BLEU ("sacrebleu" metric defaults: exp
//     smoothing, closest reference length, 0-100 scale), a second BLEU.
//   - [ROUGE]: `evaluate`'s "rouge" metric as `rouge_score` computes it
//     (ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum F-measures, no stemming, best
//     of several references), averaged over pairs; [Bootstrap] reproduces
//     `evaluate`'s default bootstrap aggregate, numpy's seeded RNG included.
//   - METEOR: `evaluate`'s "meteor" (alpha 0.9, beta 3, gamma 0.5, WordNet
//     synonyms), computed by the subpackage eval/meteor; [Compute] includes
//     it.
//
// [Compute] runs all of them on one corpus and returns [Scores]; [Table]
// collects scores of several models and renders them as Markdown, CSV or
// JSON.
package eval
