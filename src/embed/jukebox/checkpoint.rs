//! Parameter names of OpenAI's original checkpoints (`vqvae.pth.tar`,
//! `prior_level_2.pth.tar`) for the transformers names the model code asks for, so that
//! the same code loads either layout (`VarBuilder::rename_f`).
//!
//! The rules are transformers' `convert_jukebox.py` (`fix_jukebox_keys`, `replace_key`
//! and the `.w`/`.b` renaming of `convert_openai_checkpoint`) run backwards, for the
//! parameters this port reads: the top-level encoder and codebook of the VQ-VAE, and the
//! top-level prior's embeddings, label conditioner and transformer blocks. Decoders,
//! upsamplers and the lyric encoder are never read and have no rule here.

/// The original name of a VQ-VAE parameter, `name` rooted at the VQ-VAE (transformers'
/// `vqvae.` prefix removed); `downs_t` is `vqvae_config.res_downs_t`, which fixes where
/// the original puts each level block's output projection.
///
/// - `encoders.E.level_blocks.L.downsample_block.I.P` -> `encoders.E.level_blocks.L.model.
///   (I/2).(I%2).P`: the original nests each strided convolution (`.0`) and its residual
///   stack (`.1`) in one `Sequential`;
/// - `... .resnet_block.D.conv1d_C.P` -> `... .model.D.model.(1|3).P`: the residual
///   block's two convolutions sit after their ReLUs in a `Sequential`;
/// - `encoders.E.level_blocks.L.proj_out.P` -> `encoders.E.level_blocks.L.model.(downs_t[L]).P`;
/// - `bottleneck.level_blocks.L.codebook` -> `bottleneck.level_blocks.L.k`.
pub fn original_vqvae_name(name: &str, downs_t: &[usize]) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["bottleneck", "level_blocks", level, "codebook"] => {
            format!("bottleneck.level_blocks.{level}.k")
        }
        ["encoders", encoder, "level_blocks", level, rest @ ..] => {
            let block = format!("encoders.{encoder}.level_blocks.{level}.model");
            match rest {
                ["proj_out", param] => {
                    let index = level.parse::<usize>().ok().and_then(|l| downs_t.get(l));
                    match index {
                        Some(index) => format!("{block}.{index}.{param}"),
                        None => name.to_string(),
                    }
                }
                ["downsample_block", step, tail @ ..] => match step.parse::<usize>() {
                    Ok(step) => {
                        let nested = format!("{block}.{}.{}", step / 2, step % 2);
                        match tail {
                            [param] => format!("{nested}.{param}"),
                            ["resnet_block", depth, conv, param] => {
                                let position = if *conv == "conv1d_1" { 1 } else { 3 };
                                format!("{nested}.model.{depth}.model.{position}.{param}")
                            }
                            _ => name.to_string(),
                        }
                    }
                    Err(_) => name.to_string(),
                },
                _ => name.to_string(),
            }
        }
        _ => name.to_string(),
    }
}

/// The original name of a top-level prior parameter, `name` rooted at the prior
/// (transformers' `priors.<i>.` prefix removed).
///
/// - `metadata_embedding.` -> `y_emb.`, and the genre and artist tables get back the
///   `.emb` the conversion dropped (`y_emb.artist_emb.emb.weight`); the timing tables
///   keep theirs;
/// - `prior.embed_tokens.` -> `prior.x_emb.`; `prior.fc_proj_out.` -> `prior.x_out.`;
/// - `layer_norm_N` -> `ln_N` in the blocks;
/// - the blocks' `JukeboxConv1D` projections (`c_attn`, `c_proj`, `c_fc`) keep their
///   parameters as `w` and `b`, not `weight` and `bias`;
/// - everything else (`prior.pos_emb.pos_emb`, `prior.start_token`) is unchanged.
pub fn original_prior_name(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("metadata_embedding.") {
        return match rest.split_once('.') {
            Some((table @ ("artist_emb" | "bow_genre_emb"), param)) => {
                format!("y_emb.{table}.emb.{param}")
            }
            _ => format!("y_emb.{rest}"),
        };
    }
    if let Some(rest) = name.strip_prefix("prior.embed_tokens.") {
        return format!("prior.x_emb.{rest}");
    }
    if let Some(rest) = name.strip_prefix("prior.fc_proj_out.") {
        return format!("prior.x_out.{rest}");
    }
    let mut parts: Vec<String> = name.split('.').map(str::to_string).collect();
    let conv1d =
        parts.len() >= 2 && ["c_attn", "c_proj", "c_fc"].contains(&parts[parts.len() - 2].as_str());
    for part in &mut parts {
        if let Some(index) = part.strip_prefix("layer_norm_") {
            *part = format!("ln_{index}");
        }
    }
    if conv1d {
        let last = parts.len() - 1;
        parts[last] = match parts[last].as_str() {
            "weight" => "w".to_string(),
            "bias" => "b".to_string(),
            other => other.to_string(),
        };
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOWNS_T: [usize; 3] = [3, 2, 2];

    #[test]
    fn strided_convolutions_nest_in_the_original_sequential() {
        assert_eq!(
            original_vqvae_name(
                "encoders.2.level_blocks.0.downsample_block.0.weight",
                &DOWNS_T
            ),
            "encoders.2.level_blocks.0.model.0.0.weight"
        );
        assert_eq!(
            original_vqvae_name(
                "encoders.2.level_blocks.1.downsample_block.2.bias",
                &DOWNS_T
            ),
            "encoders.2.level_blocks.1.model.1.0.bias"
        );
    }

    #[test]
    fn residual_convolutions_sit_after_their_relus() {
        assert_eq!(
            original_vqvae_name(
                "encoders.2.level_blocks.0.downsample_block.5.resnet_block.3.conv1d_1.weight",
                &DOWNS_T
            ),
            "encoders.2.level_blocks.0.model.2.1.model.3.model.1.weight"
        );
        assert_eq!(
            original_vqvae_name(
                "encoders.2.level_blocks.2.downsample_block.1.resnet_block.0.conv1d_2.bias",
                &DOWNS_T
            ),
            "encoders.2.level_blocks.2.model.0.1.model.0.model.3.bias"
        );
    }

    #[test]
    fn the_output_projection_follows_the_level_s_downsampling_steps() {
        assert_eq!(
            original_vqvae_name("encoders.2.level_blocks.0.proj_out.weight", &DOWNS_T),
            "encoders.2.level_blocks.0.model.3.weight"
        );
        assert_eq!(
            original_vqvae_name("encoders.2.level_blocks.2.proj_out.bias", &DOWNS_T),
            "encoders.2.level_blocks.2.model.2.bias"
        );
    }

    #[test]
    fn the_codebook_is_the_original_k_buffer() {
        assert_eq!(
            original_vqvae_name("bottleneck.level_blocks.2.codebook", &DOWNS_T),
            "bottleneck.level_blocks.2.k"
        );
    }

    #[test]
    fn label_tables_move_under_y_emb() {
        assert_eq!(
            original_prior_name("metadata_embedding.artist_emb.weight"),
            "y_emb.artist_emb.emb.weight"
        );
        assert_eq!(
            original_prior_name("metadata_embedding.bow_genre_emb.weight"),
            "y_emb.bow_genre_emb.emb.weight"
        );
        assert_eq!(
            original_prior_name("metadata_embedding.relative_pos_emb.emb.weight"),
            "y_emb.relative_pos_emb.emb.weight"
        );
    }

    #[test]
    fn token_embedding_and_output_projection_get_their_original_names() {
        assert_eq!(
            original_prior_name("prior.embed_tokens.weight"),
            "prior.x_emb.weight"
        );
        assert_eq!(
            original_prior_name("prior.fc_proj_out.weight"),
            "prior.x_out.weight"
        );
        assert_eq!(
            original_prior_name("prior.pos_emb.pos_emb"),
            "prior.pos_emb.pos_emb"
        );
        assert_eq!(
            original_prior_name("prior.start_token"),
            "prior.start_token"
        );
    }

    #[test]
    fn block_layer_norms_are_ln() {
        assert_eq!(
            original_prior_name("prior.transformer._attn_mods.7.layer_norm_1.weight"),
            "prior.transformer._attn_mods.7.ln_1.weight"
        );
    }

    #[test]
    fn block_projections_keep_w_and_b() {
        assert_eq!(
            original_prior_name("prior.transformer._attn_mods.0.attn.c_attn.weight"),
            "prior.transformer._attn_mods.0.attn.c_attn.w"
        );
        assert_eq!(
            original_prior_name("prior.transformer._attn_mods.35.mlp.c_proj.bias"),
            "prior.transformer._attn_mods.35.mlp.c_proj.b"
        );
        assert_eq!(
            original_prior_name("prior.transformer._attn_mods.2.mlp.c_fc.weight"),
            "prior.transformer._attn_mods.2.mlp.c_fc.w"
        );
    }
}
