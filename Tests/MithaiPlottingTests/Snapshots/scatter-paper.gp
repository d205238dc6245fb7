reset
set terminal dumb size 80,24 mono
set output
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#000000"
set tics nomirror textcolor rgb "#000000"
set key top left box lc rgb "#000000"
set title textcolor rgb "#000000"
set xdata
set xtics autofreq
set key
unset xlabel
unset ylabel
unset logscale y
plot '$DATA0_0' binary format="%float64%float64" using 1:2 with points pt 7 ps 0.5 lc rgb "#000000" title "fills"
