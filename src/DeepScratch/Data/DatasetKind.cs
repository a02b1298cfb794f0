namespace DeepScratch.Data;

/// <summary>Which of the two 28x28 digit-style datasets.</summary>
public enum DatasetKind
{
    /// <summary>Handwritten digits (LeCun et al.).</summary>
    Mnist,

    /// <summary>Zalando's clothing images, a drop-in replacement for MNIST with the same format.</summary>
    FashionMnist,
}
