"""Parses a training YAML with LLaMA-Factory's own argument parser.

    $PYTHON lf_config.py CONFIG.yaml [CONFIG.yaml...]

Reads the file as `llamafactory-cli train CONFIG.yaml` does (OmegaConf, then
llamafactory.hparams.get_train_args, which runs HfArgumentParser and
LLaMA-Factory's checks) and prints what it understood as one JSON object a line.
Exit 1 with LLaMA-Factory's error when it refuses the file.
"""
import json
import sys

from omegaconf import OmegaConf


def main():
    out, sys.stdout = sys.stdout, sys.stderr
    from llamafactory.hparams import get_train_args

    for path in sys.argv[1:]:
        args = OmegaConf.to_container(OmegaConf.load(path))
        show(out, *get_train_args(args)[:4])


def show(out, model, data, training, finetuning):
    print(json.dumps({
        "model_name_or_path": model.model_name_or_path,
        "stage": finetuning.stage,
        "finetuning_type": finetuning.finetuning_type,
        "lora_rank": finetuning.lora_rank,
        "lora_alpha": finetuning.lora_alpha,
        "lora_dropout": finetuning.lora_dropout,
        "lora_target": finetuning.lora_target,
        "dataset": data.dataset,
        "eval_dataset": data.eval_dataset,
        "dataset_dir": data.dataset_dir,
        "template": data.template,
        "cutoff_len": data.cutoff_len,
        "learning_rate": training.learning_rate,
        "num_train_epochs": training.num_train_epochs,
        "per_device_train_batch_size": training.per_device_train_batch_size,
        "lr_scheduler_type": str(getattr(training.lr_scheduler_type, "value", training.lr_scheduler_type)),
    }), file=out)


if __name__ == "__main__":
    main()
