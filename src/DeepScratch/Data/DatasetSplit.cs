namespace DeepScratch.Data;

/// <summary>The training or the test part of a dataset.</summary>
public enum DatasetSplit
{
    /// <summary>60,000 training images.</summary>
    Train,

    /// <summary>10,000 test images.</summary>
    Test,
}
