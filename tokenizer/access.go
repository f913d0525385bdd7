package tokenizer

// VocabSize returns the number of ids the model's embedding needs: one more
// than the largest id of the vocabulary and the added tokens (30522 for
// bert-base-uncased, 30524 once BLIP's [DEC] and [ENC] are added).
func (t *Tokenizer) VocabSize() int {
	n := len(t.idToToken)
	for id := range t.addedByID {
		if id+1 > n {
			n = id + 1
		}
	}
	return n
}

// BaseVocabSize returns the number of ids of the vocabulary file, without
// the added tokens that lie beyond it.
func (t *Tokenizer) BaseVocabSize() int { return t.baseSize }

// Config returns the tokenizer's settings.
func (t *Tokenizer) Config() Config {
	c := t.cfg
	c.NeverSplit = append([]string(nil), t.cfg.NeverSplit...)
	return c
}

// TokenID returns the id of a token: an added token, a vocabulary token, or
// false when it is neither.
func (t *Tokenizer) TokenID(token string) (int, bool) {
	if id, ok := t.added[token]; ok {
		return id, true
	}
	if id, ok := t.vocab[token]; ok {
		return int(id), true
	}
	return 0, false
}

// IDToken returns the token of an id, or false when no token has it.
func (t *Tokenizer) IDToken(id int) (string, bool) {
	if at, ok := t.addedByID[id]; ok {
		return at.Content, true
	}
	if id >= 0 && id < len(t.idToToken) && t.hasToken[id] {
		return t.idToToken[id], true
	}
	return "", false
}

// SpecialToken returns the token and id that fill a role (RoleCLS,
// RoleBOS, ...), or false when the role is not set.
func (t *Tokenizer) SpecialToken(role string) (token string, id int, ok bool) {
	c, ok := t.roles[role]
	if !ok {
		return "", 0, false
	}
	return c, t.convertToken(c), true
}

// SpecialTokens returns all special tokens (transformers' all_special_tokens):
// the role tokens, then the additional special tokens.
func (t *Tokenizer) SpecialTokens() []string { return append([]string(nil), t.special...) }

// IsSpecialID reports whether id is one of the special tokens' ids.
func (t *Tokenizer) IsSpecialID(id int) bool { return t.specialIDs[id] }

// roleID returns the id of a role's token, or -1 when the role is not set.
func (t *Tokenizer) roleID(role string) int {
	_, id, ok := t.SpecialToken(role)
	if !ok {
		return -1
	}
	return id
}

// CLSID returns the id of the cls_token ([CLS] = 101 in bert-base-uncased), or -1.
func (t *Tokenizer) CLSID() int { return t.roleID(RoleCLS) }

// SEPID returns the id of the sep_token ([SEP] = 102), or -1.
func (t *Tokenizer) SEPID() int { return t.roleID(RoleSEP) }

// PadID returns the id of the pad_token ([PAD] = 0), or -1.
func (t *Tokenizer) PadID() int { return t.roleID(RolePAD) }

// UnkID returns the id of the unk_token ([UNK] = 100), or -1.
func (t *Tokenizer) UnkID() int { return t.roleID(RoleUNK) }

// MaskID returns the id of the mask_token ([MASK] = 103), or -1.
func (t *Tokenizer) MaskID() int { return t.roleID(RoleMask) }

// BOSID returns the id of the bos_token (BLIP's [DEC] once added), or -1.
func (t *Tokenizer) BOSID() int { return t.roleID(RoleBOS) }

// EOSID returns the id of the eos_token, or -1.
func (t *Tokenizer) EOSID() int { return t.roleID(RoleEOS) }
