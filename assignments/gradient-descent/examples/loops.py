# Alternative correct style: explicit loops and a while loop with a counter, as in the lab.


def rss(m, X, y):
    total = 0.0
    for xi, yi in zip(X, y):
        total += (yi - m * xi) ** 2
    return total


def rss_derivative(m, X, y):
    total = 0.0
    for xi, yi in zip(X, y):
        total += -2 * xi * (yi - m * xi)
    return total


def gradient_descent(grad, start, alpha, max_iterations, precision):
    cur_x = start
    iters = 0
    previous_step_size = float("inf")
    while previous_step_size >= precision and iters < max_iterations:
        prev_x = cur_x
        cur_x = cur_x - alpha * grad(prev_x)
        previous_step_size = abs(cur_x - prev_x)
        iters += 1
    return cur_x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    best = None
    for i in range(len(starts)):
        end = gradient_descent(grad, starts[i], alpha, max_iterations, 1e-8)
        if best is None or f(end) < f(best):
            best = end
    return best
