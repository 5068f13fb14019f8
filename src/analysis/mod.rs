//! Musical inference on a Score: quantization to a notated grid, key and metre
//! estimation for performed MIDI that carries no such events.
