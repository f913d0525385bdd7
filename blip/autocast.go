package blip

import (
	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// BLIP keeps its text models in unexported fields, which nn.SetAutocast's
// walk does not enter; these methods make the models Autocasters that pass
// the setting on to every matrix product they hold: the BERT layers, the
// LM head's transform and vocabulary projection, the ITC projections and
// similarity, and the ITM head. The vision tower is an exported field and
// is reached by the walk itself.

// SetAutocast sets the dtype the text decoder's matrix products run in
// (nn.Autocaster): tensor.BF16 for bfloat16 autocast, tensor.F32 for none.
func (m *CaptionModel) SetAutocast(dt tensor.DType) { m.text.setAutocast(dt) }

// SetAutocast sets the dtype the text encoder's and the heads' matrix
// products run in (nn.Autocaster).
func (m *RetrievalModel) SetAutocast(dt tensor.DType) { m.heads.setAutocast(dt) }

func (d *textDecoder) setAutocast(dt tensor.DType) {
	d.bert.setAutocast(dt)
	d.cls.Autocast = dt
	setAll(dt, d.cls.Dense)
}

func (t *textModel) setAutocast(dt tensor.DType) { setAll(dt, t.layers) }

func (r *retrievalHeads) setAutocast(dt tensor.DType) {
	r.text.setAutocast(dt)
	r.autocast = dt
	setAll(dt, r.visionProj, r.textProj, r.itmHead)
}

// setAll runs nn.SetAutocast on each of layers. dt comes from a caller
// that nn.SetAutocast has already checked, so the error cannot occur.
func setAll(dt tensor.DType, layers ...any) {
	for _, l := range layers {
		_, _ = nn.SetAutocast(l, dt)
	}
}

// linear is autograd.Linear in the form nn.Autocast takes.
func linear(in ...*autograd.Var) *autograd.Var { return autograd.Linear(in[0], in[1], in[2]) }

// similarity is the ITC similarity image · textᵀ in the form nn.Autocast
// takes.
func similarity(in ...*autograd.Var) *autograd.Var {
	return autograd.MatMulT(in[0], in[1], false, true)
}
