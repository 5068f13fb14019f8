"""Supervised fine-tuning of Qwen2-Audio on a dataset folder written by prep, with TRL.

    pip install -r examples/requirements.txt
    python examples/train_qwen2_audio.py --dataset demo-out --model Qwen/Qwen2-Audio-7B-Instruct \
        --output-dir qwen2-audio-abc --max-steps 1000

What it does, and why:
- The data is prep's chat export, `chat/<split>.jsonl` (one file per split): TRL's
  conversational prompt/completion layout whose contents are plain strings, and an `audio`
  column naming the clip's own WAV file relative to the dataset folder. Strings survive
  `load_dataset("json")` under every `datasets` version; typed content parts do not under
  3.x (Arrow gives every part every key, so a text part gets `audio: None` and Qwen2-Audio's
  chat template renders it as an audio placeholder).
- `chat_messages` puts the audio part in front of the question of the first user turn, as
  TRL does for images, so the model's chat template renders one audio placeholder, the
  question and the answer.
- Audio is read from the clip's file (it holds exactly the clip's window) and resampled to
  the 16 kHz that Qwen2-Audio's Whisper feature extractor expects.
- The loss covers the completion only: the collator labels every prompt token (system
  prompt, audio tokens, question, the assistant header) -100.

`--tiny` swaps the model for a randomly initialised Qwen2-Audio a few layers wide and a
tokenizer trained here on the dataset's own text (nothing is downloaded): prep's CI runs it
for a few optimizer steps and checks that the loss is finite. It prints one JSON line with
the steps run and the losses logged.
"""

import argparse
import json
import math
import sys
from pathlib import Path

SAMPLING_RATE = 16_000
SPLITS = ("train", "validation", "test")
# Qwen2-Audio's special tokens (its tokenizer's, and the chat template's).
AUDIO_TOKENS = ("<|audio_bos|>", "<|AUDIO|>", "<|audio_eos|>")
CHAT_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def load_chat(dataset_dir):
    """The chat export's splits as a `DatasetDict` (splits without a file are left out)."""
    import datasets

    files = {split: str(Path(dataset_dir, "chat", f"{split}.jsonl")) for split in SPLITS}
    files = {split: path for split, path in files.items() if Path(path).is_file()}
    if not files:
        sys.exit(f"{dataset_dir}: no chat/<split>.jsonl (run `prep run` or `prep shards --qa` first)")
    return datasets.load_dataset("json", data_files=files)


def audio_reference(row, dataset_dir):
    """The row's audio as a path (resolved against the dataset folder) or a URL."""
    audio = row["audio"]
    return audio if "://" in audio else str(Path(dataset_dir, audio))


def chat_messages(row, dataset_dir):
    """(prompt, completion) as messages with typed content parts: the audio part first in
    the first user turn, every string content as a text part."""
    prompt, completion = [], []
    audio_placed = False
    for messages, out in ((row["prompt"], prompt), (row["completion"], completion)):
        for message in messages:
            parts = [{"type": "text", "text": message["content"]}]
            if message["role"] == "user" and not audio_placed:
                parts.insert(0, {"type": "audio", "audio": audio_reference(row, dataset_dir)})
                audio_placed = True
            out.append({"role": message["role"], "content": parts})
    return prompt, completion


def load_audio(path):
    """Mono float32 samples at 16 kHz."""
    import soundfile
    import soxr

    samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    return mono if rate == SAMPLING_RATE else soxr.resample(mono, rate, SAMPLING_RATE)


class CompletionOnlyCollator:
    """Rows of the chat export to a Qwen2-Audio batch whose labels cover the answers only."""

    def __init__(self, processor, dataset_dir):
        self.processor = processor
        self.dataset_dir = dataset_dir

    def texts(self, row):
        """(prompt text, completion text, audio path) as the chat template renders them."""
        prompt, completion = chat_messages(row, self.dataset_dir)
        prompt_text = self.processor.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        full_text = self.processor.apply_chat_template(prompt + completion, tokenize=False)
        if not full_text.startswith(prompt_text):
            raise ValueError(f"{row['id']}: the chat template renders the prompt differently inside the chat")
        return prompt_text, full_text[len(prompt_text):], prompt[0]["content"][0]["audio"]

    def __call__(self, rows):
        import torch

        prompts, completions, audio = zip(*(self.texts(row) for row in rows))
        batch = self.processor(
            text=list(prompts),
            audio=[load_audio(path) for path in audio],
            sampling_rate=SAMPLING_RATE,
            return_tensors="pt",
            padding=True,
        )
        tokenizer = self.processor.tokenizer
        answers = tokenizer(list(completions), add_special_tokens=False)["input_ids"]
        sequences, labels = [], []
        for ids, mask, answer in zip(batch["input_ids"], batch["attention_mask"], answers):
            prompt_ids = ids[mask.bool()].tolist()
            sequences.append(prompt_ids + answer)
            labels.append([-100] * len(prompt_ids) + answer)
        length = max(map(len, sequences))
        pad = tokenizer.pad_token_id
        padded = lambda rows_, value: torch.tensor([r + [value] * (length - len(r)) for r in rows_])  # noqa: E731
        return {
            "input_ids": padded(sequences, pad),
            "attention_mask": padded([[1] * len(s) for s in sequences], 0),
            "labels": padded(labels, -100),
            "input_features": batch["input_features"],
            "feature_attention_mask": batch["feature_attention_mask"],
        }


def tiny_processor(chat):
    """A Qwen2-Audio processor built here: Whisper features as Qwen2-Audio's (128 mel bins,
    30 s windows at 16 kHz) and a byte-level BPE tokenizer trained on the dataset's text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2AudioProcessor, WhisperFeatureExtractor

    texts = [m["content"] for split in chat.values() for row in split for m in row["prompt"] + row["completion"]]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=list(CHAT_TOKENS + AUDIO_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(texts + ["system\nYou are a helpful assistant.\nuser\nassistant\nAudio 1: "], trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={"audio_token": "<|AUDIO|>", "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>"},
    )
    features = WhisperFeatureExtractor(feature_size=128, sampling_rate=SAMPLING_RATE, hop_length=160, chunk_length=30, n_fft=400)
    return Qwen2AudioProcessor(feature_extractor=features, tokenizer=tokenizer)


def tiny_model(processor):
    """A randomly initialised Qwen2-Audio with one narrow layer in the encoder and the LM."""
    import torch
    from transformers import Qwen2AudioConfig, Qwen2AudioForConditionalGeneration

    torch.manual_seed(0)
    tokenizer = processor.tokenizer
    config = Qwen2AudioConfig(
        audio_config={
            "model_type": "qwen2_audio_encoder",
            "num_mel_bins": 128,
            "d_model": 32,
            "encoder_layers": 1,
            "encoder_attention_heads": 2,
            "encoder_ffn_dim": 64,
            "max_source_positions": 1500,
        },
        text_config={
            "model_type": "qwen2",
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
        },
        audio_token_id=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
    )
    return Qwen2AudioForConditionalGeneration(config)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True, help="a dataset folder written by prep (it has chat/)")
    parser.add_argument("--model", default="Qwen/Qwen2-Audio-7B-Instruct", help="Hub id or local folder")
    parser.add_argument("--tiny", action="store_true", help="a tiny random model and tokenizer built here (tests)")
    parser.add_argument("--output-dir", default="qwen2-audio-abc")
    parser.add_argument("--max-steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--gradient-accumulation-steps", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1e-5)
    parser.add_argument("--kinds", default="", help="comma-separated Q&A kinds to keep (default: all)")
    args = parser.parse_args(argv)

    from trl import SFTConfig, SFTTrainer

    chat = load_chat(args.dataset)
    if args.kinds:
        kinds = set(args.kinds.split(","))
        chat = chat.filter(lambda row: row["kind"] in kinds)
    if args.tiny:
        processor = tiny_processor(chat)
        model = tiny_model(processor)
    else:
        import torch
        from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

        processor = AutoProcessor.from_pretrained(args.model)
        model = Qwen2AudioForConditionalGeneration.from_pretrained(args.model, dtype=torch.bfloat16)
    config = SFTConfig(
        output_dir=args.output_dir,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=1 if args.tiny else args.gradient_accumulation_steps,
        learning_rate=1e-3 if args.tiny else args.learning_rate,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        bf16=not args.tiny,
        use_cpu=args.tiny,
        seed=0,
        # The collator turns rows into tensors: TRL keeps the columns and does not tokenize.
        remove_unused_columns=False,
        dataset_kwargs={"skip_prepare_dataset": True},
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=chat["train"],
        data_collator=CompletionOnlyCollator(processor, args.dataset),
        processing_class=processor,
    )
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    print(json.dumps({"steps": trainer.state.global_step, "losses": losses}))
    if not losses or not all(math.isfinite(loss) for loss in losses):
        sys.exit(f"the loss is not finite: {losses}")
    if not args.tiny:
        trainer.save_model(args.output_dir)
        processor.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
