// Package data reads image-caption datasets and turns them into training
// batches.
//
// Three sources give the same Dataset interface:
//
//   - LoadROCO reads the ROCO layout (data/<split>/radiology/captions.txt,
//     licences.txt, images/ROCO_xxxxx.jpg), joins captions to the images
//     that exist (the missing ones are counted, not an error) and applies
//     the chest X-ray filters of filter.go and a licence filter.
//   - LoadFolder reads a plain folder of images described by captions.csv
//     (header file,caption; RFC 4180 quoting) or captions.jsonl.
//   - The subpackage radcap/data/synth generates the built-in synthetic chest
//     X-ray set and a set of generic shapes, and writes the former in the
//     ROCO layout.
//
// Label turns a caption into the set of findings it states (labels.go), and
// FindingF1 scores predicted captions against references on those sets.
//
// Loader (loader.go) shuffles a Dataset with a seed per epoch, decodes and
// preprocesses images with an imageproc.Processor, tokenizes captions with a
// tokenizer.Tokenizer and assembles tensor batches in worker goroutines, so
// the next batches are ready while the current one trains. The batch order
// depends only on the seed and the epoch, never on worker timing.
package data
