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
        if (!Directory.Exists(Catalog.FashionSystemFolder) &&
            !TestData.InCi)
        {
            Skip = $"Fashion-MNIST is not installed at {Catalog.FashionSystemFolder} (apt-get install dataset-fashion-mnist).";
        }
    }
}
