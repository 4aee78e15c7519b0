"""Isolation between clients: ids nobody can predict, client ids that open only their owner's
inbox (on one node and across a cluster), and inboxes that only an API key can list or read."""

import asyncio
import unittest

from harness import Sluice, config_with, connect

MASK64 = (1 << 64) - 1


def untemper(y):
    """Inverts std::mt19937_64's output tempering (one 64-bit output back to a state word)."""
    y ^= y >> 43
    y ^= (y << 37) & 0xFFF7EEE000000000
    x = y  # y ^= (y << 17) & b: seventeen bits at a time
    for _ in range(4):
        x = y ^ ((x << 17) & 0x71D67FFFEDA60000)
    y = x & MASK64
    x = y  # y ^= (y >> 29) & d
    for _ in range(3):
        x = y ^ ((x >> 29) & 0x5555555555555555)
    return x & MASK64


def temper(x):
    x ^= (x >> 29) & 0x5555555555555555
    x ^= (x << 17) & 0x71D67FFFEDA60000
    x ^= (x << 37) & 0xFFF7EEE000000000
    x ^= x >> 43
    return x & MASK64


def predict_next(outputs):
    """The next output of a std::mt19937_64 that produced `outputs` (312 or more in a row)."""
    state = [untemper(o) for o in outputs[-312:]]
    x = (state[0] & 0xFFFFFFFF80000000) | (state[1] & 0x7FFFFFFF)
    next_word = state[156] ^ (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
    return temper(next_word)


def as_generator_output(session_id):
    """The 64-bit number a session id of the form s-<16 hex digits, lowest nibble first>
    showed; the first 16 digits of a longer id are read the same way."""
    digits = session_id[2:18]
    return sum(int(d, 16) << (4 * i) for i, d in enumerate(digits))


class Ids(unittest.IsolatedAsyncioTestCase):
    async def test_session_ids_cannot_be_predicted_from_earlier_ones(self):
        with Sluice(config_with()) as server:
            ids = []
            for _ in range(320):
                ws, welcome = await connect(server)
                ids.append(welcome["session"])
                await ws.close()
        self.assertEqual(len(set(ids)), len(ids))
        # An attacker who reads 312 ids and knows the generator predicts every later one.
        outputs = [as_generator_output(i) for i in ids]
        predicted = [predict_next(outputs[:k]) for k in range(312, 320)]
        self.assertNotEqual(predicted, outputs[312:320], "session ids follow a predictable generator")
        for i in ids:  # 128 random bits
            self.assertRegex(i, r"^s-[0-9a-f]{32}$")


if __name__ == "__main__":
    unittest.main()
