//! Chat-format export of a Q&A pair: one JSON object per line, the conversational format
//! that Hugging Face TRL's `SFTTrainer` and Qwen2-Audio's processor read.
//!
//! ```json
//! {"messages": [
//!    {"role": "user", "content": [{"type": "audio", "audio": "clips/0001.wav"},
//!                                 {"type": "text", "text": "What key is this music in?"}]},
//!    {"role": "assistant", "content": [{"type": "text", "text": "D major"}]}],
//!  "id": "urmp/01_Jupiter_vn_vc/0001/key", "split": "train"}
//! ```
//!
//! Where it comes from:
//! - TRL "Dataset formats": a conversational dataset has a `messages` column, a list of
//!   `{"role", "content"}` turns; SFT applies the model's chat template to it.
//! - Transformers "Multimodal chat templates": a turn's `content` is a list of typed parts,
//!   `{"type": "text", "text": ...}` and, for audio models, `{"type": "audio", ...}`
//!   with the audio's path or URL.
//! - The chat template of `Qwen/Qwen2-Audio-7B-Instruct` (`chat_template.json`) turns a
//!   part holding an `audio` (or `audio_url`) key into its audio placeholder
//!   (`Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>`) and prints the `text` of text parts.
//!
//! The audio is a reference, not bytes: the training script loads it (and cuts the
//! clip's span when it points to a whole recording). `id` and `split` ride along for
//! bookkeeping; trainers ignore extra columns.

use serde_json::json;

use super::QaPair;

/// The pair as one line of chat JSONL (without the trailing newline); `audio` is the path
/// or URL of the clip's audio.
pub fn chat_jsonl_line(pair: &QaPair, audio: &str) -> String {
    json!({
        "messages": [
            {"role": "user", "content": [
                {"type": "audio", "audio": audio},
                {"type": "text", "text": pair.question},
            ]},
            {"role": "assistant", "content": [{"type": "text", "text": pair.answer}]},
        ],
        "id": pair.id,
        "split": pair.split.name(),
    })
    .to_string()
}
