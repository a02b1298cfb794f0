namespace DeepScratch.Serialization;

/// <summary>
/// Caps the memory a pickle can make the reader allocate beyond the bytes it consumes. Reading a length-prefixed
/// value costs file bytes, but memo references cost almost nothing, so a small file could otherwise decode the same
/// megabyte of array data a thousand times. Honest files need at most a few times their own size (uint8 data becomes
/// four times larger as float32), so the budget is a multiple of the input length. Containers, their elements and
/// memo entries are charged too: one-byte opcodes can create a dict each, and a call can copy a whole stored list.
/// </summary>
internal sealed class AllocationBudget
{
    /// <summary>What a new list, tuple or dict is charged: the object and its first slots, whatever the opcode's size.</summary>
    public const long ContainerBytes = 64;

    /// <summary>What one element added to a list or tuple is charged (a reference slot, plus growth).</summary>
    public const long SlotBytes = 16;

    /// <summary>What one dict entry or memo entry is charged (key, value, hash bucket, plus growth).</summary>
    public const long EntryBytes = 48;

    private const long BytesPerInputByte = 8;
    private const long Slack = 1 << 20;
    private readonly long _limit;
    private long _remaining;

    private AllocationBudget(long limit) => _limit = _remaining = limit;

    /// <summary>The budget for a pickle of <paramref name="inputLength"/> bytes.</summary>
    public static AllocationBudget ForInput(int inputLength) => new(BytesPerInputByte * inputLength + Slack);

    /// <summary>Spends <paramref name="bytes"/> or refuses, before the allocation is made.</summary>
    public void Charge(long bytes, string what) => Charge(bytes, what, static w => w);

    /// <summary>
    /// As <see cref="Charge(long, string)"/>, the name of what is charged built by <paramref name="describe"/> only on
    /// refusal: a name formatted on every charge would itself cost more than the container charged (seen: 145 bytes
    /// allocated per 64 charged), so callers pass a static lambda and its state.
    /// </summary>
    public void Charge<TState>(long bytes, TState state, Func<TState, string> describe)
    {
        if (bytes > _remaining)
        {
            throw new PickleException(
                $"{describe(state)} would need {bytes} more bytes of memory, past the {_limit} that a file of this size can honestly describe",
                PickleException.Hostile);
        }

        _remaining -= bytes;
    }
}
