"""The FLOP count of one transformer pass, per family, written down so the benchmark's TFLOP/s mean
something (tests/engine/test_gpu_benchmark.py checks each against torch's own FLOP counter).

Batch 1; N video tokens, L text tokens, width d, feed-forward width f, summed over the layers. A
multiply-add is 2 FLOPs, so a linear map from a to b on T tokens is 2·T·a·b, and attention of Tq
queries over Tk keys is 4·Tq·Tk·d (scores, then values). Norms, RoPE, the timestep embedding and the
patch embedding are left out (well under 1% at the cards' sizes).

    LTX-Video, Wan (per layer)
        self-attention   8·N·d²  (Q, K, V, O)  + 4·N²·d
        cross-attention  4·N·d²  (Q, O)  + 4·L·d²  (K, V of the text, already d wide)  + 4·N·L·d
        feed-forward     4·N·d·f              (LTX: f = 4d; Wan: its ffn_dim)
    Wan image to video adds, per layer, the CLIP image's I = 257 tokens as a second cross-attention
    with their own K, V:  4·I·d² + 4·N·I·d  (the Q is shared, the outputs are summed before O).
    Wan VACE adds, per VACE layer, a whole block over the N control tokens (the same count as a
    layer, its text K, V included) and its d×d output projection, 2·N·d² (the first one also an input
    projection, 2·N·d² more).
    CogVideoX: joint attention. The text's L tokens are put in front of the video's and the block
    runs on all T = N + L of them (one Q, K, V, O and one feed-forward, f = 4d):
        8·T·d² + 4·T²·d + 4·T·d·f
    For CogVideoX-2B at 720×480, 49 frames: N = 13·30·45 = 17,550, L = 226, d = 1920, 30 layers.

For LTX-Video 2B at 768×512, 121 frames (N = 24·16·16 = 6144, L = 128, d = 2048, f = 8192, 28 layers)
the LTX count is 29.1 TFLOP, the issue's anchor: ~37 ms a pass at an H100's 989 TFLOP/s bf16 peak.
"""

from __future__ import annotations

# The CLIP ViT-H/14 image tokens Wan 2.1's image models attend to: 16×16 patches and the class token.
WAN_IMAGE_TOKENS = 257


def cross_attention_layer(n: int, text: int, d: int, f: int) -> int:
    """One LTX/Wan layer: self-attention, cross-attention to the text, feed-forward."""
    return 8 * n * d * d + 4 * n * n * d + 4 * n * d * d + 4 * text * d * d + 4 * n * text * d + 4 * n * d * f


def ltx(n: int, text: int, d: int, layers: int) -> float:
    return float(cross_attention_layer(n, text, d, 4 * d) * layers)


def wan(n: int, text: int, d: int, f: int, layers: int, image_tokens: int = 0, vace_layers: int = 0) -> float:
    layer = cross_attention_layer(n, text, d, f)
    image = 4 * image_tokens * d * d + 4 * n * image_tokens * d
    vace = vace_layers * (layer + 2 * n * d * d) + (2 * n * d * d if vace_layers else 0)
    return float((layer + image) * layers + vace)


def cogvideox(n: int, text: int, d: int, layers: int) -> float:
    t = n + text
    return float((8 * t * d * d + 4 * t * t * d + 4 * t * d * 4 * d) * layers)
