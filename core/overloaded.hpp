#pragma once

namespace sluice {

// std::visit over a variant with one lambda per alternative.
template <class... Handlers>
struct overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
overloaded(Handlers...) -> overloaded<Handlers...>;

}  // namespace sluice
