using System.Collections.ObjectModel;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// Builds a chapter 6 optimizer from its name, for command lines and configuration files where the choice is text.
/// </summary>
public static class OptimizerFactory
{
    private static readonly ReadOnlyCollection<string> ValidNames =
        Array.AsReadOnly(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]);

    /// <summary>The optimizer of a run that names none: plain SGD, as the book's <c>Trainer</c> (common/trainer.py).</summary>
    public const string DefaultName = "sgd";

    /// <summary>The names <see cref="Create"/> accepts, lower case, in the book's order of presentation.</summary>
    public static IReadOnlyList<string> Names => ValidNames;

    /// <summary>
    /// The optimizer called <paramref name="name"/> (case-insensitive), with <paramref name="learningRate"/> or, when
    /// it is null, the book's default (0.001 for Adam, 0.01 for the others); other hyperparameters are the book's.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not one of <see cref="Names"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is not finite and positive.</exception>
    public static IOptimizer Create(string name, double? learningRate)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "sgd" => learningRate is { } sgd ? new Sgd(sgd) : new Sgd(),
            "momentum" => learningRate is { } momentum ? new Momentum(momentum) : new Momentum(),
            "nesterov" => learningRate is { } nesterov ? new Nesterov(nesterov) : new Nesterov(),
            "adagrad" => learningRate is { } adaGrad ? new AdaGrad(adaGrad) : new AdaGrad(),
            "rmsprop" => learningRate is { } rmsProp ? new RmsProp(rmsProp) : new RmsProp(),
            "adam" => learningRate is { } adam ? new Adam(adam) : new Adam(),
            _ => throw new ArgumentException(
                $"Unknown optimizer '{name}'. Valid names: {string.Join(", ", ValidNames)} (case-insensitive).", nameof(name)),
        };
    }
}
