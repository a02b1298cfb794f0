namespace DeepScratch.Tests.Serialization;

/// <summary>A pickle written by numpy (see <see cref="PickleFixtures"/>) and the arrays the loader must find in it.</summary>
/// <param name="Name">The fixture's name in <c>bench/reference/make_pickle_fixtures.py</c>.</param>
/// <param name="Protocol">The pickle protocol it was written with.</param>
/// <param name="Base64">The pickle bytes; line breaks are ignored when decoding.</param>
/// <param name="Arrays">Every array, in file order.</param>
internal sealed record PickleFixture(string Name, int Protocol, string Base64, ExpectedArray[] Arrays)
{
    /// <summary>The pickle bytes.</summary>
    public byte[] Bytes => Convert.FromBase64String(Base64);

    /// <summary>The fixture with this name.</summary>
    public static PickleFixture Named(string name) => PickleFixtures.All.Single(f => f.Name == name);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>What numpy says about one array: name, shape, dtype string, storage order, float32 values in C order.</summary>
internal sealed record ExpectedArray(string Name, int[] Shape, string DType, bool FortranOrder, float[] Values);
