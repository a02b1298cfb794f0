namespace DeepScratch.Models;

/// <summary>
/// The logic gates of chapter 2 built from perceptrons, with the book's weights and biases.
/// XOR is not linearly separable, so it needs two layers: AND(NAND(x1, x2), OR(x1, x2)).
/// </summary>
public static class LogicGates
{
    private static readonly Perceptron AndGate = new([0.5f, 0.5f], -0.7f);
    private static readonly Perceptron NandGate = new([-0.5f, -0.5f], 0.7f);
    private static readonly Perceptron OrGate = new([0.5f, 0.5f], -0.2f);

    /// <summary>AND: fires only when both inputs are 1.</summary>
    public static int And(int x1, int x2) => AndGate.Fire(x1, x2);

    /// <summary>NAND: the AND perceptron with every sign flipped.</summary>
    public static int Nand(int x1, int x2) => NandGate.Fire(x1, x2);

    /// <summary>OR: fires when either input is 1.</summary>
    public static int Or(int x1, int x2) => OrGate.Fire(x1, x2);

    /// <summary>XOR: a two-layer perceptron (NAND and OR, then AND).</summary>
    public static int Xor(int x1, int x2) => And(Nand(x1, x2), Or(x1, x2));

    /// <summary>The four gates by name, in the order the book introduces them.</summary>
    public static IReadOnlyList<(string Name, Func<int, int, int> Gate)> All { get; } =
    [
        ("AND", And),
        ("NAND", Nand),
        ("OR", Or),
        ("XOR", Xor),
    ];
}
