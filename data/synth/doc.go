// Package synth generates radcap's built-in synthetic image-caption data:
//
//   - a chest X-ray set (cxr*.go): radiograph-like grayscale images of a
//     thorax (lungs with vessel markings, mediastinum, heart, spine, ribs,
//     clavicles, diaphragm domes, exposure changes and noise) carrying
//     findings that have to be seen to be described: pneumothorax, pleural
//     effusion, consolidation, mass or nodule, cardiomegaly,
//     pneumomediastinum, or none, with side, zone and size; and ROCO-style
//     captions in varied phrasing that data.Label reads back. Split sizes
//     follow the reference run (1,700 / 200 / 200), and WriteROCO writes
//     the set in the ROCO layout. Each film comes from one of NumSites
//     sites (cxr_site.go), whose marker plate is burnt into the bottom
//     edge of the image and whose house style (prefix, sentence pattern,
//     phrasing) most of its captions follow, so the phrasing can be seen
//     in the image. Variety (variety.go) measures how many patterns and
//     phrasings a set of captions, such as a model's, uses;
//   - a generic shapes set (shapes.go) of a different kind, for
//     pretraining: circles, squares, triangles and blobs with position,
//     size and brightness, and captions such as "A large bright circle in
//     the upper left.".
//
// Every example is a pure function of (seed, split, index): it has its own
// PCG generator (math/rand/v2), so examples can be produced independently,
// in any order and in parallel, and the same seed gives byte-identical
// images.
//
// Sides are the patient's: as on a PA radiograph, the patient's right lies
// on the viewer's left, so a "left pneumothorax" is drawn in the right half
// of the image.
package synth
