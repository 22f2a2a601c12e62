"""The paper's algorithms: Sparse Edge Search (Alg. 2), pretraining (Alg. 1), PPO-Clip (Alg. 3), distillation (Alg. 4)."""
