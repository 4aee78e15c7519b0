#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Randomness for everything a client must not be able to guess: session,
// worker and job ids, and the credentials that resume an inbox. Drawn from
// the kernel's CSPRNG (getrandom), never from a seeded generator whose output
// would reveal its state.
namespace sluice {

// Fills `out` with `n` random bytes.
void secure_random_bytes(void* out, std::size_t n);

// `prefix` followed by 32 random hex digits (128 bits), e.g. "s-3fa9…".
std::string random_id(std::string_view prefix);

// 128 random bits as 32 hex digits: a secret to hand out once.
std::string random_secret();

}  // namespace sluice
