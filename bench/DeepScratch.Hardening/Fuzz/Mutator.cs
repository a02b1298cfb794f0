using System.Buffers.Binary;

namespace DeepScratch.Hardening.Fuzz;

/// <summary>
/// The generic mutations, each driven only by the <see cref="Random"/> it is given, so an input is replayable from
/// (seed, format, index): bit flips, interesting byte values, truncation, insertion, deletion, splicing two seeds of
/// the same format, random garbage, plus the target's format-aware header lie.
/// </summary>
public static class Mutator
{
    /// <summary>Bytes that sit at the edges of signed and unsigned ranges.</summary>
    private static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    /// <summary>Lengths and counts that overflow or sit at the edges: 2^31-1, 2^31, 2^32, 2^63, -1, 0, ...</summary>
    public static readonly long[] InterestingLengths =
    [
        0, 1, -1, int.MaxValue, int.MinValue, 1L << 31, 1L << 32, (1L << 32) - 1, long.MaxValue, long.MinValue,
        (1L << 32) + 1, 0x10000, 0xFFFF, 1 << 24, 1L << 40, 100_000_001,
    ];

    /// <summary>The name of each generic mutation, in the order <see cref="Mutate"/> numbers them.</summary>
    public static readonly string[] Kinds = ["bit-flip", "interesting-byte", "truncate", "insert", "delete", "splice", "garbage", "header-lie"];

    /// <summary>One input: a seed picked by weight, then one to three mutations (a header lie about a third of the time).</summary>
    public static byte[] Mutate(FuzzTarget target, Random random)
    {
        byte[] data = Pick(target.Seeds, random).Bytes;
        int rounds = 1 + random.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            int kind = target.HeaderLie is not null && random.Next(3) == 0 ? 7 : random.Next(7);
            data = Apply(kind, data, target, random);
        }

        return data;
    }

    /// <summary>A seed chosen with probability proportional to its weight.</summary>
    public static FuzzSeed Pick(IReadOnlyList<FuzzSeed> seeds, Random random)
    {
        double total = seeds.Sum(s => s.Weight), x = random.NextDouble() * total;
        foreach (var seed in seeds)
        {
            x -= seed.Weight;
            if (x < 0)
            {
                return seed;
            }
        }

        return seeds[^1];
    }

    private static byte[] Apply(int kind, byte[] data, FuzzTarget target, Random random)
    {
        switch (kind)
        {
            case 0 when data.Length > 0: // a few bit flips, mostly near the start where headers are
            {
                var copy = (byte[])data.Clone();
                int flips = 1 + random.Next(8);
                for (int i = 0; i < flips; i++)
                {
                    int at = Position(copy.Length, random);
                    copy[at] ^= (byte)(1 << random.Next(8));
                }

                return copy;
            }

            case 1 when data.Length > 0:
            {
                var copy = (byte[])data.Clone();
                int at = Position(copy.Length, random);
                int run = 1 + random.Next(Math.Min(8, copy.Length - at));
                byte value = InterestingBytes[random.Next(InterestingBytes.Length)];
                copy.AsSpan(at, run).Fill(value);
                return copy;
            }

            case 2: // truncation, often by a few bytes only, sometimes to nothing
                return data[..(random.Next(4) == 0 ? random.Next(data.Length + 1) : Math.Max(0, data.Length - 1 - random.Next(64)))];

            case 3:
            {
                int at = Position(data.Length + 1, random);
                var inserted = new byte[1 + random.Next(random.Next(4) == 0 ? 4096 : 16)];
                if (random.Next(2) == 0)
                {
                    random.NextBytes(inserted);
                }
                else
                {
                    inserted.AsSpan().Fill(InterestingBytes[random.Next(InterestingBytes.Length)]);
                }

                return [.. data.AsSpan(0, at), .. inserted, .. data.AsSpan(at)];
            }

            case 4 when data.Length > 0:
            {
                int at = Position(data.Length, random);
                int run = 1 + random.Next(Math.Min(random.Next(4) == 0 ? 4096 : 16, data.Length - at));
                return [.. data.AsSpan(0, at), .. data.AsSpan(at + run)];
            }

            case 5: // splice: the head of this input, the tail of another seed of the same format
            {
                byte[] other = Pick(target.Seeds, random).Bytes;
                int cut = random.Next(data.Length + 1), from = random.Next(other.Length + 1);
                return [.. data.AsSpan(0, cut), .. other.AsSpan(from)];
            }

            case 6: // random garbage, sometimes behind the seed's first bytes so the magic still matches
            {
                var garbage = new byte[random.Next(random.Next(8) == 0 ? 65536 : 512)];
                random.NextBytes(garbage);
                int keep = random.Next(2) == 0 ? Math.Min(data.Length, random.Next(64)) : 0;
                return [.. data.AsSpan(0, keep), .. garbage];
            }

            case 7:
                try
                {
                    return target.HeaderLie!(data, random);
                }
                catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
                {
                    // A lie that does not fit these (already mutated) bytes leaves them as they are: the run goes on.
                    return data;
                }

            default:
                return data;
        }
    }

    /// <summary>A position, half of the time in the first 64 bytes (the headers), otherwise anywhere.</summary>
    public static int Position(int length, Random random) =>
        length <= 0 ? 0 : random.Next(2) == 0 ? random.Next(Math.Min(length, 64)) : random.Next(length);

    /// <summary>An interesting length, as the low bytes of its two's complement.</summary>
    public static long InterestingLength(Random random) => InterestingLengths[random.Next(InterestingLengths.Length)];

    /// <summary>Overwrites 4 bytes at <paramref name="at"/> (when they fit) with an interesting 32-bit value.</summary>
    public static byte[] Overwrite32(byte[] data, int at, Random random, bool bigEndian)
    {
        if (at < 0 || at + 4 > data.Length)
        {
            return data;
        }

        var copy = (byte[])data.Clone();
        uint value = unchecked((uint)InterestingLength(random));
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        }

        return copy;
    }

    /// <summary>Replaces every occurrence of <paramref name="from"/> (or a random one) with <paramref name="to"/>.</summary>
    public static byte[] Replace(byte[] data, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, Random random)
    {
        var hits = new List<int>();
        for (int i = data.AsSpan().IndexOf(from); i >= 0 && hits.Count < 10_000;)
        {
            hits.Add(i);
            int next = data.AsSpan(i + from.Length).IndexOf(from);
            i = next < 0 ? -1 : i + from.Length + next;
        }

        if (hits.Count == 0)
        {
            return data;
        }

        bool all = random.Next(2) == 0;
        var chosen = all ? hits : [hits[random.Next(hits.Count)]];
        var output = new List<byte>(data.Length + (chosen.Count * Math.Max(0, to.Length - from.Length)));
        int last = 0;
        foreach (int at in chosen)
        {
            output.AddRange(data.AsSpan(last, at - last));
            output.AddRange(to);
            last = at + from.Length;
        }

        output.AddRange(data.AsSpan(last));
        return [.. output];
    }
}
