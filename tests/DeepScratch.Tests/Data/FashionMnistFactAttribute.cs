using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>
/// A test of Debian's Fashion-MNIST (package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist). Where the
/// package is missing the test is reported as skipped, with how to install it, except under CI (<c>CI=true</c>),
/// where it runs and fails: there the data must be present. It passes only when it really read the data.
/// </summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        Skip = SkipReason;
    }

    /// <summary>Why a Fashion-MNIST test is skipped here, with how to install it; null where it must run.</summary>
    internal static string? SkipReason =>
        !Directory.Exists(Catalog.FashionSystemFolder) && !TestData.InCi
            ? $"Fashion-MNIST is not installed at {Catalog.FashionSystemFolder} (apt-get install dataset-fashion-mnist)."
            : null;
}

/// <summary>
/// A theory on Debian's Fashion-MNIST: skipped with the same hint as <see cref="FashionMnistFactAttribute"/> where the
/// package is missing, and run (so failing) under CI.
/// </summary>
public sealed class FashionMnistTheoryAttribute : TheoryAttribute
{
    public FashionMnistTheoryAttribute()
    {
        Skip = FashionMnistFactAttribute.SkipReason;
    }
}
