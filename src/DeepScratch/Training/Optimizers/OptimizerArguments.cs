using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// Checks shared by the chapter 6 optimizers: hyperparameters are refused when built (a bad learning rate would
/// otherwise surface only as a NaN loss many batches later), and the parameter list before any value changes.
/// </summary>
internal static class OptimizerArguments
{
    /// <summary>Returns <paramref name="value"/> when it is finite and greater than 0.</summary>
    public static double LearningRate(double value, string option)
    {
        if (!(value > 0 && double.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(option,
                $"The learning rate {option} must be finite and greater than 0, but was {Format(value)}.");
        }

        return value;
    }

    /// <summary>Returns <paramref name="value"/> when it lies in [0, 1): the fraction of an average kept per step.</summary>
    public static double Fraction(double value, string option, string meaning)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(option,
                $"{option} ({meaning}) must be in [0, 1), but was {Format(value)}.");
        }

        return value;
    }

    /// <summary>
    /// Refuses a null list or null entries before anything is updated (so a bad call never leaves half the network
    /// stepped), and returns the longest parameter's length for sizing scratch space.
    /// </summary>
    public static int CheckParameters(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int longest = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter? parameter = parameters[i];
            if (parameter is null)
            {
                throw new ArgumentException($"Parameter {i} of {parameters.Count} is null.", nameof(parameters));
            }

            longest = Math.Max(longest, parameter.Value.Length);
        }

        return longest;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
