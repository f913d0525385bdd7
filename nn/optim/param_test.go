package optim

import (
	"slices"
	"testing"

	"radcap/autograd"
	"radcap/safetensors"
	"radcap/tensor"
)

// TestNoDecayMatchesTrainer applies NoDecay to every parameter of the tiny
// GIT fixture and compares with the no-decay names the Trainer used
// (train/trajectory.json). GIT's visual projection LayerNorm is the module
// "git.visual_projection.visual_projection.1", which its name does not
// reveal.
func TestNoDecayMatchesTrainer(t *testing.T) {
	tr := loadTrajectory(t)
	f, err := safetensors.Open(fixture("git/model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	for _, n := range f.Names() {
		if NoDecay(n, "git.visual_projection.visual_projection.1") {
			got = append(got, n)
		}
	}
	want := slices.Clone(tr.Optimizer.NoDecayNames)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("no-decay names differ:\n got %v\nwant %v", got, want)
	}
	if NoDecay("git.visual_projection.visual_projection.1.weight") {
		t.Error("without the module list the projection LayerNorm should not be recognised by name")
	}
}

func TestNoDecayNames(t *testing.T) {
	for name, want := range map[string]bool{
		"bias":                                         true,
		"cls.predictions.bias":                         true,
		"encoder.relative_attention_bias.weight":       true, // substring rule, as the Trainer
		"vision_model.post_layernorm.weight":           true,
		"vision_model.pre_layrnorm.weight":             true,
		"encoder.layers.3.layer_norm2.weight":          true,
		"text.encoder.layer.0.output.LayerNorm.weight": true,
		"transformer.h.0.ln_1.weight":                  true,
		"model.ln.weight":                              true,
		"weight":                                       false,
		"encoder.layer.0.attention.self.query.weight":  false,
		"embeddings.word_embeddings.weight":            false,
		"vision_model.embeddings.class_embedding":      false,
		"layers.0.mlp.fc1.weight":                      false,
		"model.kiln.weight":                            false,
	} {
		if got := NoDecay(name); got != want {
			t.Errorf("NoDecay(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestTrainerGroupsAndZeroGrad(t *testing.T) {
	mk := func(name string) Param {
		return Param{Name: name, Var: autograd.Param(tensor.Full(tensor.F32, 1, 2))}
	}
	ps := []Param{mk("a.weight"), mk("a.bias"), mk("LayerNorm.weight"), mk("b.weight"), mk("frozen.weight")}
	ps[4].Var.RequiresGrad = false
	gs := TrainerGroups(ps, 0.01, func(n string) bool { return NoDecay(n) })
	names := func(g Group) (out []string) {
		for _, p := range g.Params {
			out = append(out, p.Name)
		}
		return out
	}
	if len(gs) != 2 || gs[0].WeightDecay != 0.01 || gs[1].WeightDecay != 0 ||
		!slices.Equal(names(gs[0]), []string{"a.weight", "b.weight"}) ||
		!slices.Equal(names(gs[1]), []string{"a.bias", "LayerNorm.weight"}) {
		t.Errorf("groups %v %v / %v %v", gs[0].WeightDecay, names(gs[0]), gs[1].WeightDecay, names(gs[1]))
	}

	ps[0].Var.Grad = tensor.Full(tensor.F32, 3, 2)
	ps[1].Var.Grad = tensor.Full(tensor.F64, 3, 4).Narrow(0, 1, 2)
	strided := tensor.Full(tensor.F32, 5, 2, 2).Transpose(0, 1).Select(0, 0)
	ps[3].Var.Grad = strided
	kept := ps[0].Var.Grad
	ZeroGrad(ps)
	if ps[0].Var.Grad != kept || ps[0].Var.Grad.At(1) != 0 {
		t.Error("ZeroGrad did not zero the gradient in place")
	}
	if ps[1].Var.Grad.At(0) != 0 || ps[3].Var.Grad.At(1) != 0 {
		t.Error("ZeroGrad left a view's gradient non-zero")
	}
	if ps[2].Var.Grad != nil {
		t.Error("ZeroGrad created a gradient")
	}
}
